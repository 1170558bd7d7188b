import type { Command } from 'commander';
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { confirm } from '../util/prompt.js';
import { connect, connectGuarded } from '../kube/connect.js';
import { addClusterOptions, clusterOptions } from './install.js';

/** `mesh tag set|list|remove|generate`: revision tags, as istioctl's `tag`. */
export function register(program: Command): void {
  const tag = program
    .command('tag')
    .description('Revision tags: aliases namespaces use (istio.io/rev=<tag>) for a control-plane revision');
  const withNs = (c: Command) =>
    addClusterOptions(c).option(
      '-i, --istioNamespace <namespace>',
      'the control plane namespace',
      'istio-system',
    );
  const tagFlags = (c: Command) =>
    addClusterOptions(c)
      .option('-i, --istioNamespace <namespace>', "the control plane namespace (default: the revision's)")
      .requiredOption('-r, --revision <name>', 'the control-plane revision the tag points at')
      .option(
        '--webhook-name <name>',
        "name of the tag's MutatingWebhookConfiguration (default istio-revision-tag-<tag>, -<namespace> appended outside istio-system)",
      );
  tagFlags(
    tag
      .command('set')
      .argument('<tag>', 'the revision tag')
      .description('Create a revision tag, or move it to another revision (--overwrite)'),
  )
    .option('--overwrite', 'move an existing tag that points at another revision')
    .option(
      '-y, --skip-confirmation',
      'do not ask before new pods of namespaces using the tag change injector',
    )
    .action(async (name: string, opts) => {
      process.exitCode = await runSet(name, opts);
    });
  tagFlags(
    tag
      .command('generate')
      .argument('<tag>', 'the revision tag')
      .description("Print the tag's objects as YAML (for GitOps); changes nothing"),
  ).action(async (name: string, opts) => {
    process.exitCode = await runGenerate(name, opts);
  });
  withNs(
    tag
      .command('list')
      .alias('show')
      .description('List revision tags, their revisions and the namespaces using them'),
  )
    .option('-o, --output <format>', 'output format: table|json|yaml', 'table')
    .action(async (opts) => {
      process.exitCode = await runList(opts);
    });
  addClusterOptions(
    tag
      .command('remove')
      .alias('delete')
      .argument('<tag>', 'the revision tag')
      .description('Remove a revision tag (asks first when namespaces still use it)'),
  )
    .option('-i, --istioNamespace <namespace>', "ignored: the tag's Services are found in every namespace")
    .option('-y, --skip-confirmation', 'do not ask when namespaces still use the tag')
    .action(async (name: string, opts) => {
      process.exitCode = await runRemove(name, opts);
    });
}

/** Set and generate hold a tag to the naming rules; remove and list take any tag they find (`anyLength`). */
async function validated(name: string, opts: Record<string, any>, anyLength = false) {
  const { invalidTag } = await import('../install/tags.js');
  const { DNS_LABEL } = await import('../util/names.js');
  const problem = anyLength
    ? DNS_LABEL.test(name) && name.length <= 63
      ? undefined
      : 'a tag is a label value: a DNS-1123 label'
    : invalidTag(name);
  if (problem) throw usageError(`invalid revision tag "${name}": ${problem}`);
  const { isDnsLabel, isDnsSubdomain } = await import('../util/names.js');
  if (opts.revision !== undefined && !isDnsLabel(opts.revision))
    throw usageError(`invalid --revision "${opts.revision}": a revision is a DNS-1123 label`);
  if (opts.webhookName !== undefined && !isDnsSubdomain(opts.webhookName))
    throw usageError(`invalid --webhook-name "${opts.webhookName}": a name is a DNS-1123 subdomain`);
  if (opts.istioNamespace !== undefined && !isDnsLabel(opts.istioNamespace))
    throw usageError(`invalid --istioNamespace "${opts.istioNamespace}": a namespace is a DNS-1123 label`);
}

const list = (names: readonly string[]) =>
  names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');

async function runSet(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const rest = await connectGuarded(clusterOptions(opts), 'tag set');
  const { applyTag, planTag } = await import('../kube/tags.js');
  const plan = await planTag(rest, {
    tag: name,
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
    overwrite: Boolean(opts.overwrite),
    generate: false,
  });
  for (const note of plan.notes) warn(`Note: ${note}`);
  for (const m of plan.moves)
    warn(
      m.from !== undefined
        ? `Warning: new pods of ${m.namespaces.length} namespace(s) (${list(m.namespaces)}) will be injected by revision ${opts.revision} instead of ${m.from}; ` +
            'running pods keep their proxies until restarted (kubectl rollout restart).'
        : `Warning: new pods of ${m.namespaces.length} namespace(s) (${list(m.namespaces)}) will be injected by revision ${opts.revision}: ` +
            'no injector served them until now; running pods get a proxy when restarted (kubectl rollout restart).',
    );
  if (plan.moves.length > 0) await confirm(opts, `Point tag "${name}" at revision ${opts.revision}?`);
  const applied = await applyTag(rest, plan);
  warn(applied.map((r) => `- ${r}`).join('\n'));
  warn(
    `✔ Revision tag "${name}" points at revision ${opts.revision}. Namespaces use it with: kubectl label namespace <namespace> istio.io/rev=${name}`,
  );
  return ExitCode.OK;
}

async function runGenerate(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const rest = await connect(clusterOptions(opts));
  const { planTag } = await import('../kube/tags.js');
  const { tagYaml } = await import('../install/tags.js');
  const plan = await planTag(rest, {
    tag: name,
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
    overwrite: true,
    generate: true,
  });
  await writeStdout(tagYaml(plan.objects));
  return ExitCode.OK;
}

async function runList(opts: Record<string, any>): Promise<number> {
  const { parseOutputFormat } = await import('../util/output.js');
  const format = parseOutputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
  await validated('x', { istioNamespace: opts.istioNamespace }, true);
  const rest = await connect(clusterOptions(opts));
  const { readTagState } = await import('../kube/tags.js');
  const { formatTagData, formatTagTable, tagRows } = await import('../install/tags.js');
  const state = await readTagState(rest, opts.istioNamespace);
  const rows = tagRows(state.webhooks, state.services, state.namespaces);
  await writeStdout(format === 'table' ? formatTagTable(rows) : formatTagData(rows, format));
  return ExitCode.OK;
}

async function runRemove(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, { ...opts, istioNamespace: undefined }, true);
  const rest = await connectGuarded(clusterOptions(opts), 'tag remove');
  const {
    defaultInjectors,
    findTag,
    injectionEnabled,
    namespacesUsing,
    removeTag,
    restoreDefaultInjector,
    tagObjectsFound,
  } = await import('../kube/tags.js');
  const { DEFAULT_TAG, deactivatedByMesh, isDeactivated } = await import('../install/tags.js');
  const isDefault = name === DEFAULT_TAG;
  const [found, injectors] = await Promise.all([
    findTag(rest, name),
    isDefault ? defaultInjectors(rest) : Promise.resolve([]),
  ]);
  const objects = tagObjectsFound(found);
  const ref = (w: { metadata?: { name?: string } }) => `MutatingWebhookConfiguration/${w.metadata?.name}`;
  const meshOff = injectors.filter((w) => isDeactivated(w) && deactivatedByMesh(w));
  const otherOff = injectors.filter((w) => isDeactivated(w) && !deactivatedByMesh(w));
  const on = injectors.filter((w) => !isDeactivated(w));
  const offNote = otherOff.length
    ? `${otherOff.map(ref).join(', ')} stay${otherOff.length > 1 ? '' : 's'} switched off: switched off by another tool (istioctl), mesh has no record of its selectors; installing the default revision again with the same inputs (mesh install --force) puts them back`
    : '';
  if (objects.length === 0) {
    if (meshOff.length === 0)
      throw new MeshError(
        `revision tag "${name}" not found: no MutatingWebhookConfiguration, ValidatingWebhookConfiguration or Service labelled istio.io/tag=${name}`,
        { hint: offNote || 'mesh tag list shows the tags' },
      );
    // only the deactivation is left (the tag's objects deleted otherwise, e.g. with its revision)
    warn(
      `Revision tag "default" has no objects left, but the default revision's injector is still switched off by it: ${meshOff.map(ref).join(', ')}`,
    );
    const done = await restoreDefaultInjector(rest);
    warn(done.map((r) => `- ${r}`).join('\n'));
    warn('✔ The default revision injects istio-injection=enabled and istio.io/rev=default namespaces again.');
    return ExitCode.OK;
  }
  const users = await namespacesUsing(rest, name);
  const enabled = isDefault ? (await injectionEnabled(rest)).filter((n) => !users.includes(n)) : [];
  const affected = [...users, ...enabled];
  if (affected.length > 0) {
    const served = meshOff.length > 0 || on.length > 0;
    const fate = !isDefault
      ? 'get no sidecar'
      : served
        ? `go to the default revision's injector (${[...meshOff, ...on].map(ref).join(', ')}${meshOff.length ? ', switched on again' : ''})`
        : otherOff.length
          ? `get no sidecar: ${offNote}`
          : 'get no sidecar (no default revision is installed)';
    warn(
      isDefault
        ? `Warning: ${affected.length} namespace(s) use tag "default" (${[
            users.length ? `istio.io/rev=default: ${list(users)}` : '',
            enabled.length ? `istio-injection=enabled: ${list(enabled)}` : '',
          ]
            .filter(Boolean)
            .join('; ')}). Once it is removed their new pods ${fate}.`
        : `Warning: ${users.length} namespace(s) still use tag "${name}" (istio.io/rev=${name}): ${list(users)}. Once it is removed their new pods ${fate}.`,
    );
    await confirm(opts, `Remove tag "${name}" anyway?`);
  }
  const deleted = await removeTag(rest, name, objects);
  warn(deleted.map((r) => `- ${r}`).join('\n'));
  if (offNote && (affected.length === 0 || meshOff.length > 0 || on.length > 0)) warn(`Note: ${offNote}`);
  warn(`✔ Revision tag "${name}" removed.`);
  return ExitCode.OK;
}
