import { Command } from 'commander';
import { usageError } from '../util/errors.js';
import { parseOutputFormat } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';
import type { AuthzCheckRequest } from '../authz/check-run.js';
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
      const request = authzCheckRequest(pod, opts);
      const { runAuthzCheck } = await import('../authz/check-run.js');
      process.exitCode = await runAuthzCheck(request);
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

/** The flags checked, as runAuthzCheck takes them. */
function authzCheckRequest(pod: string | undefined, opts: Record<string, any>): AuthzCheckRequest {
  const format = parseOutputFormat(opts.output, FORMATS, 'table');
  const sources = [pod, opts.file, opts.adminUrl].filter((x) => x !== undefined).length;
  if (sources !== 1) throw usageError('authz check requires exactly one of: pod name, --file, --admin-url');
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  return {
    format,
    pod,
    file: opts.file,
    adminUrl: opts.adminUrl,
    namespace: opts.namespace,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    adminPort: opts.proxyAdminPort as number,
    timeoutMs,
  };
}

async function runAuthzTest(opts: Record<string, any>): Promise<number> {
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
