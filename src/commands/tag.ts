import type { Command } from 'commander';
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { addClusterOptions, connect } from './install.js';

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
    withNs(c)
      .requiredOption('-r, --revision <name>', 'the control-plane revision the tag points at')
      .option(
        '--webhook-name <name>',
        "name of the tag's MutatingWebhookConfiguration (default istio-revision-tag-<tag>)",
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
  withNs(
    tag
      .command('remove')
      .alias('delete')
      .argument('<tag>', 'the revision tag')
      .description('Remove a revision tag (asks first when namespaces still use it)'),
  )
    .option('-y, --skip-confirmation', 'do not ask when namespaces still use the tag')
    .action(async (name: string, opts) => {
      process.exitCode = await runRemove(name, opts);
    });
}

async function validated(name: string, opts: Record<string, any>) {
  const { invalidTag } = await import('../install/tags.js');
  const problem = invalidTag(name);
  if (problem) throw usageError(`invalid revision tag "${name}": ${problem}`);
  const { isDnsLabel, isDnsSubdomain } = await import('../util/names.js');
  if (opts.revision !== undefined && !isDnsLabel(opts.revision))
    throw usageError(`invalid --revision "${opts.revision}": a revision is a DNS-1123 label`);
  if (opts.webhookName !== undefined && !isDnsSubdomain(opts.webhookName))
    throw usageError(`invalid --webhook-name "${opts.webhookName}": a name is a DNS-1123 subdomain`);
  if (!isDnsLabel(opts.istioNamespace))
    throw usageError(`invalid --istioNamespace "${opts.istioNamespace}": a namespace is a DNS-1123 label`);
}

const interactive = () => Boolean(process.stdin.isTTY && process.stderr.isTTY);

async function ask(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new MeshError('aborted: nothing was changed');
    throw err;
  } finally {
    rl.close();
  }
}

/** Asks on a terminal unless -y; off a terminal -y is required (as install's prompt). */
async function confirm(opts: Record<string, any>, question: string): Promise<void> {
  if (opts.skipConfirmation) return;
  if (!interactive())
    throw usageError(`${question.replace(/\?$/, '')}: refusing without -y (not a terminal)`);
  const answer = (await ask(`${question} [y/N] `)).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') throw new MeshError('aborted: nothing was changed');
}

/** Connects for a change: names the context and server, refuses a protected context --context did not name. */
async function connectGuarded(opts: Record<string, any>, verb: string) {
  const rest = await connect(opts);
  warn(`Context: ${rest.kube.contextName}  Server: ${rest.kube.server}`);
  const { guardContext } = await import('../kube/guard.js');
  await guardContext(
    rest.kube.contextName,
    opts.context !== undefined,
    verb,
    interactive() ? ask : undefined,
  );
  return rest;
}

const list = (names: readonly string[]) =>
  names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');

async function runSet(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const rest = await connectGuarded(opts, 'tag set');
  const { applyTag, planTag } = await import('../kube/tags.js');
  const plan = await planTag(rest, {
    tag: name,
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
    overwrite: Boolean(opts.overwrite),
    generate: false,
  });
  if (plan.moving.length > 0) {
    const from = plan.current.filter((r) => r !== opts.revision);
    warn(
      `Warning: new pods of ${plan.moving.length} namespace(s) (${list(plan.moving)}) will be injected by revision ${opts.revision}` +
        `${from.length ? ` instead of ${from.join(', ')}` : name === 'default' ? ' instead of the default revision' : ''}; ` +
        'running pods keep their proxies until restarted (kubectl rollout restart).',
    );
    await confirm(opts, `Point tag "${name}" at revision ${opts.revision}?`);
  }
  const applied = await applyTag(rest, plan);
  warn(applied.map((r) => `- ${r}`).join('\n'));
  warn(
    `✔ Revision tag "${name}" points at revision ${opts.revision}. Namespaces use it with: kubectl label namespace <namespace> istio.io/rev=${name}`,
  );
  return ExitCode.OK;
}

async function runGenerate(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const rest = await connect(opts);
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
  await validated('x', { istioNamespace: opts.istioNamespace });
  const rest = await connect(opts);
  const { readTagState } = await import('../kube/tags.js');
  const { formatTagData, formatTagTable, tagRows } = await import('../install/tags.js');
  const state = await readTagState(rest, opts.istioNamespace);
  const rows = tagRows(state.webhooks, state.services, state.namespaces);
  await writeStdout(format === 'table' ? formatTagTable(rows) : formatTagData(rows, format));
  return ExitCode.OK;
}

async function runRemove(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const rest = await connectGuarded(opts, 'tag remove');
  const { deleteTag, findTag, namespacesUsing, tagObjectsFound } = await import('../kube/tags.js');
  const found = await findTag(rest, name, opts.istioNamespace);
  if (found.webhooks.length === 0 && found.services.length === 0)
    throw new MeshError(
      `revision tag "${name}" not found: no MutatingWebhookConfiguration, or Service in ${opts.istioNamespace}, labelled istio.io/tag=${name}`,
      { hint: 'mesh tag list shows the tags' },
    );
  const objects = tagObjectsFound(found);
  const users = await namespacesUsing(rest, name);
  if (users.length > 0) {
    warn(
      `Warning: ${users.length} namespace(s) still use tag "${name}" (istio.io/rev=${name}): ${list(users)}. Once it is removed their new pods get no sidecar.`,
    );
    await confirm(opts, `Remove tag "${name}" anyway?`);
  }
  const deleted = await deleteTag(rest, name, objects);
  warn(deleted.map((r) => `- ${r}`).join('\n'));
  warn(`✔ Revision tag "${name}" removed.`);
  return ExitCode.OK;
}
