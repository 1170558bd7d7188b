import { Command, Option } from 'commander';
import { usageError } from '../util/errors.js';
import { parseOutputFormat, writeStdout, warn } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import type { Level } from '../analyzers/types.js';
import { namespaceArg } from '../util/names.js';
import { collect } from '../util/flags.js';
import { realPathOf } from '../util/paths.js';
import { REPORT_FORMATS, runAnalyzeCli, type ReportFormat } from '../analyzers/cli-run.js';

type Opts = Record<string, any>;

const LEVELS: Level[] = ['Error', 'Warning', 'Info'];

function parseLevel(value: string, flag: string): Level {
  const l = LEVELS.find((x) => x.toLowerCase() === value.toLowerCase());
  if (!l) throw usageError(`invalid ${flag} "${value}"`, 'use Error, Warning or Info');
  return l;
}

export function register(program: Command): void {
  const command = program.command('analyze');
  command.on('option:no-recursive', () =>
    command.error('error: --recursive=false is not supported: mesh always walks folders recursively', {
      code: 'mesh.recursiveOff',
    }),
  );
  command
    .description(
      'Validate and lint Istio configuration in files, folders or stdin; with no paths, the current cluster',
    )
    .argument(
      '[paths...]',
      'files or folders (walked recursively; .yaml, .yml, .json), or - for stdin; none: analyze the cluster',
    )
    .option('-o, --output <format>', `output format: ${REPORT_FORMATS.join('|')}`, 'log')
    .option(
      '-n, --namespace <ns>',
      'give namespace-less documents this namespace and report only on it',
      namespaceArg,
    )
    .option('-A, --all-namespaces', 'documents without a namespace keep none (origin reads "Kind name")')
    .option('-i, --istioNamespace <ns>', 'namespace of the control plane', 'istio-system')
    .option(
      '-k, --use-kube',
      'overlay the files on the current cluster (what applying them would cause); =false: files alone',
    )
    .addOption(new Option('--no-use-kube', 'files alone, offline (the default)').hideHelp())
    .option('-R, --recursive', "accepted as istioctl's: folders are always walked recursively")
    // (`--recursive=false` arrives as this: analyzing sub-folders a user asked to leave out would be
    // silently different, so it is refused; istioctl ignores it)
    .addOption(new Option('--no-recursive').hideHelp())
    .option(
      '-c, --kubeconfig <file>',
      'kubeconfig to use for the cluster (default: $KUBECONFIG, ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context to use for the cluster')
    .option(
      '--remote-contexts <context>',
      "contexts of the mesh's remote clusters, analyzed with it (repeatable); default: the clusters of the control plane's istio/multiCluster Secrets",
      collect,
      [],
    )
    .option(
      '--no-remote-secrets',
      "do not analyze the remote clusters the control plane's istio/multiCluster Secrets name (the primary alone, unless --remote-contexts)",
    )
    .option(
      '-r, --revision <rev>',
      'control plane revision the cluster is analyzed for: its mesh config; objects labelled istio.io/rev for others are not read',
    )
    .option('--timeout <duration>', 'timeout for reading the cluster', '60s')
    .option(
      '--kubeclient-timeout <duration>',
      "timeout of each request to a cluster's API server (istioctl's; 0: none)",
      '15s',
    )
    .option(
      '--failure-threshold <level>',
      'lowest level that makes the exit code 79 (Error|Warning|Info)',
      'Error',
    )
    .option('--output-threshold <level>', 'lowest level that is printed (Error|Warning|Info)', 'Info')
    .option(
      '--report <format:file>',
      `also write the report in this format to a file, from the same run (repeatable; e.g. sarif:mesh.sarif; formats: ${REPORT_FORMATS.join('|')})`,
      collect,
      [],
    )
    .option(
      '-S, --suppress <CODE=Kind ns/name>',
      'suppress findings; * is a wildcard (repeatable)',
      collect,
      [],
    )
    .option('--analyzer <name>', 'run only this analyzer (repeatable; see --list-analyzers)', collect, [])
    .option('-L, --list-analyzers', 'list the analyzers and exit')
    .option(
      '--external <Kind ns/name>',
      'an object that exists outside the inputs (references to it resolve); * is a wildcard (repeatable)',
      collect,
      [],
    )
    .option('--external-file <file>', 'a file of --external patterns, one a line (# comments)', collect, [])
    .option('--meshConfigFile <file>', 'mesh config (YAML, or the istio ConfigMap) to analyze against')
    .option('--meshNetworksFile <file>', 'mesh networks (YAML) to analyze against')
    .option('--baseline <file>', 'fail only on findings that are not in this baseline file')
    .option('--write-baseline <file>', 'write the current findings as a baseline file and exit 0')
    .option('--ignore-unknown', 'do not fail (exit 65) on documents that cannot be parsed')
    .option('--max-file-size <MiB>', 'refuse files larger than this', '64')
    .addOption(new Option('--color', 'force colour'))
    .addOption(new Option('--no-color', 'disable colour'))
    .option('-v, --verbose', 'print analyzers run and skipped, unknown kinds and notes')
    .action(async (paths: string[], opts: Opts) => {
      process.exitCode = await runAnalyze(paths, opts);
    });
}

async function runAnalyze(paths: string[], opts: Opts): Promise<number> {
  const format = parseOutputFormat(opts.output, REPORT_FORMATS, 'log');
  const failureThreshold = parseLevel(opts.failureThreshold, '--failure-threshold');
  const outputThreshold = parseLevel(opts.outputThreshold, '--output-threshold');
  const reports = parseReports(opts.report ?? []);
  if (reports.length > 0 && (opts.listAnalyzers || opts.writeBaseline))
    throw usageError(
      `--report cannot be combined with ${opts.listAnalyzers ? '--list-analyzers' : '--write-baseline'}`,
      opts.listAnalyzers ? 'use -o for the analyzer list' : 'write the baseline and the reports in two runs',
    );
  const { findAnalyzer } = await import('../analyzers/registry.js');

  if (opts.listAnalyzers) {
    const { renderAnalyzerList } = await import('../render/analyzers.js');
    await writeStdout(await renderAnalyzerList(format));
    return 0;
  }
  if (opts.namespace && opts.allNamespaces)
    throw usageError('-n/--namespace and -A/--all-namespaces cannot be combined');
  const selected = (opts.analyzer as string[]).map((name) => {
    const a = findAnalyzer(name);
    if (!a) throw usageError(`unknown analyzer "${name}"`, 'see mesh analyze --list-analyzers');
    return a;
  });
  const maxMiB = Number(opts.maxFileSize);
  const { MAX_FILE_SIZE_MIB } = await import('../manifests/limits.js');
  if (!Number.isFinite(maxMiB) || maxMiB <= 0 || maxMiB > MAX_FILE_SIZE_MIB)
    throw usageError(
      `invalid --max-file-size "${opts.maxFileSize}": a number of MiB above 0, at most ${MAX_FILE_SIZE_MIB}`,
      `a file is parsed as one string, and Node's strings hold less than 512 MiB`,
    );

  if (paths.length === 0 && opts.useKube === false)
    throw usageError(
      'nothing to analyze: --use-kube=false and no paths',
      'name files or folders, or - for stdin',
    );

  const remoteContexts = (opts.remoteContexts as string[]).flatMap((c) => c.split(',')).filter(Boolean);
  if (remoteContexts.length > 0 && paths.length > 0 && !opts.useKube)
    throw usageError(
      '--remote-contexts needs the cluster: analyze it (no paths), or overlay the files on it with --use-kube',
    );

  const { readExternalPatterns } = await import('../analyzers/external.js');
  const external = readExternalPatterns(opts.external, opts.externalFile);
  const { parseSuppressRules } = await import('../analyzers/suppress.js');
  const { rules, warnings } = parseSuppressRules(opts.suppress);
  for (const w of warnings) warn(`Warning: ${w}`);
  const { loadMeshConfig, loadMeshNetworks } = await import('../analyzers/meshconfig.js');
  const meshConfig = loadMeshConfig(opts.meshConfigFile);
  const meshNetworks = loadMeshNetworks(opts.meshNetworksFile);
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const requestTimeoutMs = parseDuration(opts.kubeclientTimeout, '--kubeclient-timeout');

  return runAnalyzeCli({
    paths,
    format,
    failureThreshold,
    outputThreshold,
    reports,
    analyzers: selected,
    maxFileBytes: maxMiB * 1024 * 1024,
    namespace: opts.namespace,
    allNamespaces: Boolean(opts.allNamespaces),
    istioNamespace: opts.istioNamespace,
    // No paths: the cluster. Paths with --use-kube: the files over the cluster. Files alone stay offline.
    cluster:
      paths.length === 0 || opts.useKube
        ? {
            kubeconfig: opts.kubeconfig,
            context: opts.context,
            istioNamespace: opts.istioNamespace,
            revision: opts.revision,
            timeoutMs,
            requestTimeoutMs,
            remoteContexts,
            remoteSecrets: opts.remoteSecrets !== false,
          }
        : undefined,
    external,
    suppress: rules,
    meshConfig,
    meshConfigFromFile: Boolean(opts.meshConfigFile),
    meshNetworks,
    meshNetworksFromFile: Boolean(opts.meshNetworksFile),
    baseline: opts.baseline,
    writeBaseline: opts.writeBaseline,
    ignoreUnknown: Boolean(opts.ignoreUnknown),
    verbose: Boolean(opts.verbose),
    color: opts.color,
  });
}

/** `--report FORMAT:FILE` values (split at the first colon: formats have none, Windows paths do). */
function parseReports(specs: string[]): Array<{ format: ReportFormat; file: string }> {
  const reports = specs.map((spec) => {
    const colon = spec.indexOf(':');
    const format = spec.slice(0, colon).toLowerCase() as ReportFormat;
    const file = spec.slice(colon + 1);
    if (colon < 0 || !REPORT_FORMATS.includes(format) || file === '')
      throw usageError(
        `invalid --report "${spec}": FORMAT:FILE, with FORMAT one of ${REPORT_FORMATS.join(', ')}`,
        'e.g. --report sarif:mesh.sarif',
      );
    if (file === '-') throw usageError(`invalid --report "${spec}": - is stdout, whose format -o sets`);
    return { format, file };
  });
  // one file however it is spelled (`r`, `./r`, its absolute path, a symlink to it): the later report would
  // replace the other
  const seen = new Map<string, string>();
  for (const { file } of reports) {
    const real = realPathOf(file);
    const first = seen.get(real);
    if (first !== undefined)
      throw usageError(`--report names ${first} twice${first === file ? '' : ` (as ${first} and ${file})`}`);
    seen.set(real, file);
  }
  return reports;
}
