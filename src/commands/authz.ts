import { Command } from 'commander';
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { parseOutputFormat, warn, writeStdout } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';
import { escapeControl } from '../render/escape.js';
import { intArg } from './control-plane-flags.js';

const FORMATS = ['table', 'json', 'yaml'] as const;
export function register(program: Command): void {
  const authz = program.command('authz').description('Inspect and test authorization policies');

  authz
    .command('check')
    .description("List the AuthorizationPolicies a proxy enforces (from its listeners' RBAC filters)")
    .argument('[pod]', '<pod>[.<namespace>] or deployment/<name>[.<namespace>]')
    .option('-f, --file <dump>', 'Envoy config dump (JSON or YAML) instead of a pod; - reads stdin')
    .option('--admin-url <url>', 'Envoy admin URL instead of a pod (no cluster access)')
    .option('-o, --output <format>', `output format: ${FORMATS.join('|')}`, 'table')
    .option(
      '-n, --namespace <ns>',
      'namespace of the pod (default: from the kubeconfig context)',
      namespaceArg,
    )
    .option('-c, --kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--proxy-admin-port <port>', 'Envoy admin port in the pod', intArg('--proxy-admin-port'), 15000)
    .option('--timeout <duration>', 'timeout for each cluster and proxy request (0: none)', '30s')
    .action(async (pod: string | undefined, opts: Record<string, any>) => {
      process.exitCode = await runAuthzCheck(pod, opts);
    });

  authz
    .command('test')
    .description('Evaluate requests against AuthorizationPolicy manifests offline (allow/deny and why)')
    .option('-f, --file <path>', 'AuthorizationPolicy manifests: files or folders (repeatable)', collect, [])
    .requiredOption('--cases <file>', 'YAML file of requests and expected decisions')
    .option(
      '--root-namespace <ns>',
      "mesh root namespace (its policies apply to every namespace; default: the mesh config's, istio-system)",
    )
    .option(
      '--meshConfigFile <file>',
      'mesh config (YAML, or the istio ConfigMap): its rootNamespace, pathNormalization, trustDomain and trustDomainAliases apply',
    )
    .option('-o, --output <format>', `output format: ${FORMATS.join('|')}`, 'table')
    .action(async (opts: Record<string, any>) => {
      process.exitCode = await runAuthzTest(opts);
    });
}

async function readDumpFile(file: string): Promise<string> {
  const { readUtf8Input } = await import('../util/input.js');
  const { UNMARSHAL } = await import('../envoy/dump.js');
  return readUtf8Input(file, `failed to get config dump from file ${file}: `, `${UNMARSHAL}: `);
}

export async function runAuthzCheck(pod: string | undefined, opts: Record<string, any>): Promise<number> {
  const format = parseOutputFormat(opts.output, FORMATS, 'table');
  const sources = [pod, opts.file, opts.adminUrl].filter((x) => x !== undefined).length;
  if (sources !== 1) throw usageError('authz check requires exactly one of: pod name, --file, --admin-url');
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const adminPort = opts.proxyAdminPort as number;

  const { explainIn, inputMemo, parseJsonText } = await import('../envoy/dump.js');
  const { isObj } = await import('../envoy/fields.js');
  let text: string;
  let source: string;
  if (opts.file !== undefined) {
    text = await readDumpFile(opts.file);
    source = opts.file;
  } else {
    const { FILE_OR_ADMIN_URL, openEndpoint } = await import('../envoy/source.js');
    const { whileWaiting } = await import('../util/spinner.js');
    const { AdminClient } = await import('../envoy/admin.js');
    const endpoint = await openEndpoint(pod, {
      namespace: opts.namespace,
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      adminPort,
      timeoutMs,
      adminUrl: opts.adminUrl,
      offline: FILE_OR_ADMIN_URL,
    });
    try {
      const client = new AdminClient({ baseUrl: endpoint.baseUrl, timeoutMs, label: endpoint.label });
      text = await whileWaiting(
        `Reading the configuration of ${endpoint.label}`,
        client.request('GET', 'config_dump'),
      );
    } finally {
      await endpoint.close();
    }
    source = endpoint.label;
  }
  const root = parseJsonText(text, source, 'cannot parse config dump');
  if (!isObj(root))
    throw new MeshError(`cannot parse config dump: ${source}: expected a JSON object`, {
      exitCode: ExitCode.DATA,
    });

  const { analyzeDump, renderAuthzTable } = await import('../authz/check.js');
  // a field of the wrong type: said with the input, line and column, section and JSON path
  // (many errors of one dump are located in about one pass over it)
  const memo = inputMemo(root);
  const located = (err: unknown) => explainIn(err, root, text, source, memo);
  let result;
  try {
    result = analyzeDump(root, source);
  } catch (err) {
    throw located(err);
  }
  // a key is text from the dump: its line breaks are escaped too, so none forges a line of its own
  for (const key of result.unrecognised)
    warn(
      `warning: RBAC policy "${escapeControl(key)}" does not follow istiod's naming; listed with an empty name`,
    );
  for (const d of result.discovered)
    warn(
      `warning: RBAC filter "${escapeControl(d.filter)}" takes its config from ECDS (config_discovery), not from ` +
        `the listener: its policies are not listed (listener${d.listeners.length > 1 ? 's' : ''} ` +
        `${d.listeners.map(escapeControl).join(', ')})`,
    );
  const unreadable = result.unreadable.map((err) => (located(err) as MeshError).message);
  // istioctl prints nothing at all then; said, so that no output is not taken for "no policies"
  if (result.activeListeners === 0 && unreadable.length === 0)
    warn(
      `note: ${source} has no active listener (warming, draining and static ones are not read): nothing to list`,
    );
  if (format === 'table') {
    await writeStdout(renderAuthzTable(result));
  } else {
    // a report that lacks a part says so in itself, not only on stderr
    const report = {
      apiVersion: 'mesh/v1',
      kind: 'AuthzCheck',
      proxy: source,
      policies: result.policies,
      ...(result.discovered.length > 0 ? { ecdsFilters: result.discovered } : {}),
      ...(unreadable.length > 0 ? { unreadable } : {}),
    };
    await writeStdout(
      format === 'json'
        ? JSON.stringify(report, null, 2)
        : (await import('yaml')).stringify(report, { lineWidth: 0 }),
    );
  }
  // what could not be read is left out of the report, which is otherwise complete (as `pc all` does)
  for (const message of unreadable) warn(`Error: ${message}`);
  return unreadable.length > 0 ? ExitCode.DATA : ExitCode.OK;
}

export async function runAuthzTest(opts: Record<string, any>): Promise<number> {
  const format = parseOutputFormat(opts.output, FORMATS, 'table');
  if ((opts.file as string[]).length === 0)
    throw usageError('authz test requires -f with AuthorizationPolicy manifests');
  // -f - twice is one input (read once, as analyze reads it); -f - with --cases - would read two
  const { stdinOnce } = await import('../util/input.js');
  stdinOnce([
    ...[...new Set(opts.file as string[])].map((f) => ['-f', f] as const),
    ['--cases', opts.cases as string],
  ]);
  const { meshSettings } = await import('../authz/mesh-settings.js');
  const mesh = meshSettings(opts.meshConfigFile);
  const { runPolicyTests } = await import('../authz/test-run.js');
  return runPolicyTests({
    policyPaths: opts.file,
    casesFile: opts.cases,
    rootNamespace: opts.rootNamespace ?? mesh.rootNamespace,
    pathNormalization: mesh.pathNormalization,
    trustDomains: mesh.trustDomains,
    format,
  });
}
