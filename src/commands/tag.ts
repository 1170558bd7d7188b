import type { Command } from 'commander';
import { usageError } from '../util/errors.js';
import type { TagOptions } from '../kube/tags.js';
import { addClusterOptions, clusterOptions } from './kube-flags.js';

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
  const { DNS_LABEL, isDnsLabel, isDnsSubdomain } = await import('../util/names.js');
  const problem = anyLength
    ? DNS_LABEL.test(name) && name.length <= 63
      ? undefined
      : 'a tag is a label value: a DNS-1123 label'
    : invalidTag(name);
  if (problem) throw usageError(`invalid revision tag "${name}": ${problem}`);
  if (opts.revision !== undefined && !isDnsLabel(opts.revision))
    throw usageError(`invalid --revision "${opts.revision}": a revision is a DNS-1123 label`);
  if (opts.webhookName !== undefined && !isDnsSubdomain(opts.webhookName))
    throw usageError(`invalid --webhook-name "${opts.webhookName}": a name is a DNS-1123 subdomain`);
  if (opts.istioNamespace !== undefined && !isDnsLabel(opts.istioNamespace))
    throw usageError(`invalid --istioNamespace "${opts.istioNamespace}": a namespace is a DNS-1123 label`);
}

async function runSet(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const { runTagSet } = await import('../kube/tags.js');
  return runTagSet(name, {
    ...tagOptions(opts),
    overwrite: opts.overwrite,
    skipConfirmation: opts.skipConfirmation,
  });
}

async function runGenerate(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, opts);
  const { runTagGenerate } = await import('../kube/tags.js');
  return runTagGenerate(name, tagOptions(opts));
}

async function runList(opts: Record<string, any>): Promise<number> {
  const { parseOutputFormat } = await import('../util/output.js');
  const format = parseOutputFormat(opts.output, ['table', 'json', 'yaml'] as const, 'table');
  await validated('x', { istioNamespace: opts.istioNamespace }, true);
  const { runTagList } = await import('../kube/tags.js');
  return runTagList({ ...clusterOptions(opts), istioNamespace: opts.istioNamespace, format });
}

async function runRemove(name: string, opts: Record<string, any>): Promise<number> {
  await validated(name, { ...opts, istioNamespace: undefined }, true);
  const { runTagRemove } = await import('../kube/tags.js');
  return runTagRemove(name, { ...clusterOptions(opts), skipConfirmation: opts.skipConfirmation });
}

/** The flags of set and generate, checked by validated(). */
function tagOptions(opts: Record<string, any>): TagOptions {
  return {
    ...clusterOptions(opts),
    revision: opts.revision,
    istioNamespace: opts.istioNamespace,
    webhookName: opts.webhookName,
  };
}
