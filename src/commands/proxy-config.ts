import { Command } from 'commander';
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { parseOutputFormat, warn, writeStdout } from '../util/output.js';
import { parseDuration } from '../util/duration.js';
import { whileWaiting } from '../util/spinner.js';
import type { ConfigDump } from '../envoy/dump.js';
import type { AccessOptions } from '../envoy/source.js';
import type { ProxyRoots } from '../envoy/rootca.js';
import { namespaceArg } from '../util/names.js';
import { intArg } from './control-plane-flags.js';

const FORMATS = ['short', 'json', 'yaml'] as const;
type Format = (typeof FORMATS)[number];
type Opts = Record<string, any>;

/**
 * Go's strconv.ParseInt(s, 0, 64), which istioctl's int flags use: an optional sign, then decimal, `0x`
 * hex, `0o` or `0` octal, or `0b` binary digits, `_` allowed between digits and after a prefix.
 */
const GO_INT =
  /^([+-]?)(?:0[xX]((?:_?[0-9a-fA-F])+)|0[oO]((?:_?[0-7])+)|0[bB]((?:_?[01])+)|0((?:_?[0-7])*)|([1-9](?:_?[0-9])*))$/;

/**
 * `--port`, read as istioctl reads it (`0x50` is 80, `-1` is allowed and matches no port). A number past
 * 2^53 is refused: it would no longer be the one given.
 */
const portArg = (flag: string) => (v: string) => {
  const m = GO_INT.exec(v);
  if (!m) throw usageError(`invalid ${flag} "${v}": expected a number`);
  const [, sign, hex, oct, bin, leadingZeroOct, dec] = m;
  const digits = (d: string) => d.replaceAll('_', '');
  const magnitude =
    hex !== undefined
      ? BigInt(`0x${digits(hex)}`)
      : oct !== undefined || leadingZeroOct !== undefined
        ? BigInt(`0o${digits(oct ?? leadingZeroOct!) || '0'}`)
        : bin !== undefined
          ? BigInt(`0b${digits(bin)}`)
          : BigInt(digits(dec!));
  const n = sign === '-' ? -magnitude : magnitude;
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
    throw usageError(`invalid ${flag} "${v}": value out of range`);
  // Go has no -0
  return Number(n) + 0;
};

/** How to reach pods (shared by every subcommand). */
function withAccess(cmd: Command, formats: readonly string[] = FORMATS, defaultFormat = 'short'): Command {
  return cmd
    .option('-o, --output <format>', `output format: ${formats.join('|')}`, defaultFormat)
    .option(
      '-n, --namespace <ns>',
      'namespace of the pod (default: from the kubeconfig context)',
      namespaceArg,
    )
    .option('-c, --kubeconfig <file>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .option('--proxy-admin-port <port>', 'Envoy admin port in the pod', intArg('--proxy-admin-port'), 15000)
    .option('--timeout <duration>', 'timeout for each cluster and proxy request (0: none)', '30s');
}

/** Subcommands that read one proxy: a pod, or --file, or --admin-url. */
function withSource(cmd: Command, formats: readonly string[] = FORMATS, defaultFormat = 'short'): Command {
  return withAccess(
    cmd
      .option('-f, --file <dump>', 'Envoy config dump file (JSON or YAML) instead of a pod; - reads stdin')
      .option('--admin-url <url>', 'Envoy admin URL (e.g. http://127.0.0.1:15000) instead of a pod'),
    formats,
    defaultFormat,
  );
}

export function register(program: Command): void {
  const pc = new Command('proxy-config')
    .alias('pc')
    .description(
      'A group of commands used to retrieve information about Envoy configuration from the Envoy instance ' +
        '(a pod, an admin URL or a saved config dump)',
    );
  program.addCommand(pc);

  withSource(pc.command('cluster').aliases(['clusters', 'c']))
    .description(
      'Clusters (upstreams) of a proxy: service FQDN, port, subset, direction, type, DestinationRule',
    )
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--fqdn <fqdn>', 'only clusters whose name contains this FQDN')
    .option('--port <port>', 'only clusters of this port', portArg('--port'))
    .option('--subset <subset>', 'only clusters whose name contains this subset')
    .option('--direction <dir>', 'only clusters whose name contains this direction (inbound|outbound)')
    .action((pod: string | undefined, opts: Opts) => run(() => runCluster(pod, opts)));

  withSource(pc.command('listener').aliases(['listeners', 'l']))
    .description('Listeners of a proxy: addresses, port, and per filter chain its match and destination')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--address <ip>', 'only listeners on this address')
    .option('--port <port>', 'only listeners on this port', portArg('--port'))
    .option('--type <type>', 'only listeners of this type (HTTP, TCP, HTTP+TCP, UNKNOWN)')
    .option('--verbose', 'one row per filter chain with MATCH and DESTINATION (default)', true)
    .option('--no-verbose', 'one row per listener with its TYPE')
    .action((pod: string | undefined, opts: Opts) => run(() => runListener(pod, opts)));

  withSource(pc.command('route').aliases(['routes', 'r']))
    .description('Route configurations of a proxy: virtual hosts, domains, matches, VirtualServices')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--name <name>', 'only the route configuration of this name')
    .option('--verbose', 'one row per route (default)', true)
    .option('--no-verbose', 'one row per route configuration with its virtual host count')
    .action((pod: string | undefined, opts: Opts) => run(() => runRoute(pod, opts)));

  withSource(pc.command('endpoint').aliases(['endpoints', 'ep']))
    .description(
      'Endpoints of a proxy with health and outlier status (admin /clusters; --file takes its JSON or a config dump with EDS)',
    )
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--address <ip>', 'only endpoints with this IP')
    .option('--port <port>', 'only endpoints on this port', portArg('--port'))
    .option('--cluster <name>', 'only endpoints of this cluster')
    .option('--status <status>', 'only endpoints with this health status (e.g. HEALTHY, UNHEALTHY)')
    .action((pod: string | undefined, opts: Opts) => run(() => runEndpoint(pod, opts)));

  pc.addCommand(
    withSource(new Command('eds'))
      .description('Endpoints from the EDS section of the config dump (ip:port, status, locality)')
      .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
      .option('--address <ip:port>', 'only endpoints with this address (ip:port)')
      .option('--port <port>', 'only endpoints on this port', portArg('--port'))
      .option('--cluster <name>', 'only endpoints of this cluster')
      .option('--status <status>', 'only endpoints with this health status')
      .action((pod: string | undefined, opts: Opts) => run(() => runEds(pod, opts))),
    { hidden: true },
  );

  withSource(pc.command('secret').aliases(['secrets', 's']))
    .description(
      'Secrets (certificates) of a proxy: type, status, validity, serial number, dates, trust domain',
    )
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .action((pod: string | undefined, opts: Opts) => run(() => runSecret(pod, opts)));

  withSource(pc.command('bootstrap').alias('b'), FORMATS, 'json')
    .description('Bootstrap configuration of a proxy (-o short: Istio and Envoy versions)')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .action((pod: string | undefined, opts: Opts) => run(() => runBootstrap(pod, opts)));

  withSource(pc.command('ecds').alias('ec'))
    .description('Extension configurations (ECDS) of a proxy')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .action((pod: string | undefined, opts: Opts) => run(() => runEcds(pod, opts)));

  withSource(pc.command('all').alias('a'))
    .description('Everything at once: bootstrap, clusters, listeners, routes, secrets and endpoints')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--fqdn <fqdn>', 'clusters: FQDN substring')
    .option('--direction <dir>', 'clusters: direction substring')
    .option('--subset <subset>', 'clusters: subset substring')
    .option('--port <port>', 'clusters, listeners and endpoints: port', portArg('--port'))
    .option('--address <ip>', 'listeners and endpoints: address')
    .option('--type <type>', 'listeners: type')
    .option('--name <name>', 'routes: route configuration name')
    .option('--verbose', 'per filter chain and per route rows (default)', true)
    .option('--no-verbose', 'one row per listener and per route configuration')
    .option('--with-headers', 'precede each section with a ------ TITLE ------ header')
    .action((pod: string | undefined, opts: Opts) => run(() => runAll(pod, opts)));

  const log = pc
    .command('log')
    .alias('o')
    .description('Show or set the Envoy log levels of a proxy (or of every pod matching -l)')
    .argument('[pod]', '<pod>[.<namespace>] or <kind>/<name>[.<namespace>]')
    .option('--level <levels>', 'level for all loggers and/or logger:level pairs, comma separated')
    .option('-r, --reset', "reset every logger to the mesh default (the injector's global.proxy.logLevel)")
    .option('-l, --selector <labels>', 'every proxy pod matching this label selector in the namespace')
    .option('-i, --istioNamespace <ns>', 'namespace of the control plane (for --reset)', 'istio-system');
  withAccess(
    log.option('--admin-url <url>', 'Envoy admin URL (e.g. http://127.0.0.1:15000) instead of a pod'),
  ).action((pod: string | undefined, opts: Opts) => run(() => runLog(pod, opts)));

  withAccess(pc.command('rootca-compare').alias('rc'))
    .description('Whether two proxies trust a common root certificate (pods, admin URLs or dump files)')
    .argument('<first>', 'pod, admin URL (http://...) or config dump file')
    .argument('<second>', 'pod, admin URL (http://...) or config dump file')
    .action((a: string, b: string, opts: Opts) => run(() => runRootCaCompare(a, b, opts)));

  withAccess(pc.command('diff'), ['short', 'json'])
    .description(
      'Semantic diff of two proxies or dumps: resources only on one side or differing, and the field paths ' +
        '(exit 79 when different)',
    )
    .argument('<first>', 'pod, admin URL (http://...) or config dump file')
    .argument('<second>', 'pod, admin URL (http://...) or config dump file')
    .action((a: string, b: string, opts: Opts) => run(() => runDiff(a, b, opts)));
}

async function run(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (err) {
    throw (await import('../envoy/dump.js')).nestingError(err);
  }
}

// ---- sources ----

function common(opts: Opts) {
  const format = parseOutputFormat(opts.output, FORMATS, 'short') as Format;
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  return { format, timeoutMs };
}

function access(opts: Opts, timeoutMs: number): AccessOptions {
  return {
    namespace: opts.namespace,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    adminPort: opts.proxyAdminPort,
    timeoutMs,
    adminUrl: opts.adminUrl,
  };
}

async function withDump<T>(
  cmd: string,
  pod: string | undefined,
  opts: Opts,
  query: { mask?: string; includeEds?: boolean },
  body: (dump: ConfigDump, format: Format) => Promise<T>,
): Promise<T> {
  const { format, timeoutMs } = common(opts);
  const { openSource } = await import('../envoy/source.js');
  const source = await openSource(cmd, pod, opts.file, access(opts, timeoutMs));
  try {
    const dump = await source.dump(query);
    // -o json|yaml write the dump's values back: numbers JSON.parse would change are kept as written
    // (`all` first sees whether it can pass Envoy's own bytes through)
    if (format !== 'short' && cmd !== 'all') dump.keepExactNumbers();
    try {
      return await body(dump, format);
    } catch (err) {
      // a field of the wrong type deep in a resource: say where it is in the dump
      throw dump.explain(err);
    }
  } finally {
    await source.close();
  }
}

// ---- output ----

/**
 * A value as istioctl prints it (Go's JSON or YAML), written in pieces: the output of a large dump may be
 * longer than a JavaScript string can be (≈ 512 MiB).
 */
async function printStructured(value: unknown, format: 'json' | 'yaml'): Promise<void> {
  const { goJsonPieces, redactSecrets } = await import('../envoy/protojson.js');
  const safe = redactSecrets(value);
  // a line break ends the JSON; istioctl prints the YAML with Println: a blank line ends it
  if (format === 'json') await printPieces(goJsonPieces(safe));
  else await printPieces((await import('../envoy/goyaml.js')).toGoYamlPieces(safe));
}

/** Text in pieces, then the line break Go's Println adds (a blank line after text that ends in one). */
async function printPieces(pieces: Iterable<string>): Promise<void> {
  const { writeChunks } = await import('../render/chunks.js');
  await writeChunks(
    (function* () {
      yield* pieces;
      yield '\n';
    })(),
  );
}

/**
 * Resources of the Envoy message `type` as protobuf-JSON messages: camelCase, without the Any `@type` of
 * the resource itself, with their fields in protojson's order (YAML then sorts them), empty lists left out.
 */
async function printResources(list: readonly object[], format: 'json' | 'yaml', type: string): Promise<void> {
  const { withoutType } = await import('../envoy/dump.js');
  return printMessage(
    list.map((r) => withoutType(r as Record<string, unknown>)),
    format,
    type,
  );
}

async function printMessage(
  message: object,
  format: 'json' | 'yaml',
  type: string,
  layout: 'protojson' | 'jsonpb' = 'protojson',
): Promise<void> {
  const { toProtoJson, redactSecrets } = await import('../envoy/protojson.js');
  const { inProtoOrder } = await import('../envoy/proto-order.js');
  const ordered = inProtoOrder(toProtoJson(message), type);
  if (layout === 'protojson' || format === 'yaml') return printStructured(ordered, format);
  // bootstrap and secret: istioctl's legacy jsonpb layout (empty messages, Struct indentation)
  const { legacyJsonpbPieces } = await import('../envoy/jsonpb.js');
  await printPieces(legacyJsonpbPieces(redactSecrets(ordered), type));
}

/**
 * The resources of a section, refused when there are none: istioctl answers `no clusters found` (listeners,
 * routes) before it looks at the output format, as mesh's tables do.
 */
function someOf<T>(list: T[], what: string): T[] {
  if (list.length === 0) throw new MeshError(`no ${what} found`);
  return list;
}

function portFilter(opts: Opts): number | undefined {
  return opts.port === undefined ? undefined : Number(opts.port);
}

// ---- subcommands ----

async function runCluster(pod: string | undefined, opts: Opts): Promise<number> {
  const filter = { fqdn: opts.fqdn, port: portFilter(opts), subset: opts.subset, direction: opts.direction };
  const mask = 'dynamic_active_clusters,dynamic_warming_clusters,static_clusters';
  return withDump('cluster', pod, opts, { mask }, async (dump, format) => {
    if (format === 'short') {
      const { clusterSummary } = await import('../envoy/summary.js');
      await writeStdout(clusterSummary(dump, filter));
    } else {
      const { selectClusters } = await import('../envoy/clusters.js');
      await printResources(
        selectClusters(someOf(dump.clusters(), 'clusters'), filter).map((e) => e.cluster),
        format,
        'envoy.config.cluster.v3.Cluster',
      );
    }
    return ExitCode.OK;
  });
}

async function runListener(pod: string | undefined, opts: Opts): Promise<number> {
  const filter = { address: opts.address, port: portFilter(opts), type: opts.type };
  return withDump(
    'listener',
    pod,
    opts,
    { mask: 'dynamic_listeners,static_listeners' },
    async (dump, format) => {
      if (format === 'short') {
        const { listenerSummary } = await import('../envoy/summary.js');
        await writeStdout(listenerSummary(dump, filter, opts.verbose !== false));
      } else {
        const { filterListeners } = await import('../envoy/listeners.js');
        await printResources(
          filterListeners(someOf(dump.listeners(), 'listeners'), filter),
          format,
          'envoy.config.listener.v3.Listener',
        );
      }
      return ExitCode.OK;
    },
  );
}

async function runRoute(pod: string | undefined, opts: Opts): Promise<number> {
  const mask = 'dynamic_route_configs,static_route_configs';
  return withDump('route', pod, opts, { mask }, async (dump, format) => {
    if (format === 'short') {
      const { routeSummary } = await import('../envoy/summary.js');
      await writeStdout(routeSummary(dump, opts.name, opts.verbose !== false));
    } else {
      const { selectRoutes } = await import('../envoy/routes.js');
      await printResources(
        selectRoutes(someOf(dump.routes(), 'routes'), opts.name),
        format,
        'envoy.config.route.v3.RouteConfiguration',
      );
    }
    return ExitCode.OK;
  });
}

function endpointFilter(opts: Opts) {
  return { address: opts.address, port: portFilter(opts), cluster: opts.cluster, status: opts.status };
}

async function runEndpoint(pod: string | undefined, opts: Opts): Promise<number> {
  const { format, timeoutMs } = common(opts);
  const given = [pod, opts.file, opts.adminUrl].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw usageError('endpoints: give a pod name or --file (exactly one)', 'or --admin-url <url>');
  const { clustersFromInput, endpointAnswer, endpointFile } = await import('../envoy/endpoints.js');
  const input =
    opts.file !== undefined
      ? await endpointFile(opts.file, format !== 'short')
      : await endpointAnswer(pod, access(opts, timeoutMs), timeoutMs);
  const { explainIn } = await import('../envoy/dump.js');
  try {
    // a file and a live answer get the same checks: an answer of another shape is no empty table
    const clusters = clustersFromInput(input.value, input.source);
    return await printEndpoints(clusters, format, endpointFilter(opts));
  } catch (err) {
    throw explainIn(err, input.value, input.text, input.source);
  }
}

async function printEndpoints(
  clusters: unknown,
  format: Format,
  filter: ReturnType<typeof endpointFilter>,
): Promise<number> {
  if (format === 'short') {
    const { clusterStatusSummary } = await import('../envoy/summary.js');
    await writeStdout(clusterStatusSummary(clusters, filter));
  } else {
    const { selectClusterStatuses } = await import('../envoy/endpoints.js');
    await printResources(selectClusterStatuses(clusters, filter), format, 'envoy.admin.v3.ClusterStatus');
  }
  return ExitCode.OK;
}

async function runEds(pod: string | undefined, opts: Opts): Promise<number> {
  return withDump('eds', pod, opts, { includeEds: true }, async (dump, format) => {
    if (format === 'short') {
      const { edsSummary } = await import('../envoy/summary.js');
      await writeStdout(edsSummary(dump, endpointFilter(opts)));
    } else {
      const { selectLoadAssignments } = await import('../envoy/endpoints.js');
      await printResources(
        selectLoadAssignments(dump.endpoints(), endpointFilter(opts)),
        format,
        'envoy.config.endpoint.v3.ClusterLoadAssignment',
      );
    }
    return ExitCode.OK;
  });
}

const SECRETS_MASK = 'dynamic_active_secrets,dynamic_warming_secrets';

async function runSecret(pod: string | undefined, opts: Opts): Promise<number> {
  return withDump('secret', pod, opts, { mask: SECRETS_MASK }, async (dump, format) => {
    if (format === 'short') {
      const { secretSummary } = await import('../envoy/summary.js');
      await writeStdout(secretSummary(dump, new Date()));
    } else {
      // certificate data istioctl cannot read is refused as in the table
      const { checkInlineBytes } = await import('../envoy/secrets.js');
      for (const s of dump.secrets()) checkInlineBytes(s.value);
      await printMessage(dump.secretsDump(), format, 'envoy.admin.v3.SecretsConfigDump', 'jsonpb');
    }
    return ExitCode.OK;
  });
}

async function runBootstrap(pod: string | undefined, opts: Opts): Promise<number> {
  return withDump('bootstrap', pod, opts, { mask: 'bootstrap' }, async (dump, format) => {
    if (format === 'short') {
      const { bootstrapSummary } = await import('../envoy/summary.js');
      await writeStdout(bootstrapSummary(dump));
    } else {
      await printMessage(dump.bootstrapDump(), format, 'envoy.admin.v3.BootstrapConfigDump', 'jsonpb');
    }
    return ExitCode.OK;
  });
}

async function runEcds(pod: string | undefined, opts: Opts): Promise<number> {
  return withDump('ecds', pod, opts, { includeEds: true }, async (dump, format) => {
    if (format === 'short') {
      const { ecdsSummary } = await import('../envoy/summary.js');
      await writeStdout(ecdsSummary(dump));
    } else {
      await printMessage(dump.ecdsDump(), format, 'envoy.admin.v3.EcdsConfigDump');
    }
    return ExitCode.OK;
  });
}

async function runAll(pod: string | undefined, opts: Opts): Promise<number> {
  return withDump('all', pod, opts, { includeEds: true }, async (dump, format) => {
    if (format === 'short') {
      const { allSummary } = await import('../envoy/summary.js');
      const unreadable = await allSummary(
        dump,
        {
          cluster: {
            fqdn: opts.fqdn,
            port: portFilter(opts),
            subset: opts.subset,
            direction: opts.direction,
          },
          listener: { address: opts.address, port: portFilter(opts), type: opts.type },
          routeName: opts.name,
          endpoint: { address: opts.address, port: portFilter(opts) },
          verbose: opts.verbose !== false,
          withHeaders: Boolean(opts.withHeaders),
          now: new Date(),
        },
        writeStdout,
      );
      for (const e of unreadable) warn(`Error: ${e.message}`);
      return unreadable.length > 0 ? ExitCode.DATA : ExitCode.OK;
    }
    // Envoy's own bytes (snake_case), as istioctl prints them, when they are JSON and nothing had to be
    // redacted; else the dump re-serialised as Envoy writes it (one-space indent), numbers JSON.parse
    // would change as written: a YAML dump or a byte order mark is no JSON
    const { redactSecrets } = await import('../envoy/protojson.js');
    const { jsonTextPieces } = await import('../envoy/exact-numbers.js');
    // istioctl prints the dump with Println: a line break follows it (a blank line when it ends in one)
    if (format === 'json' && redactSecrets(dump.root) === dump.root && /^[ \t\r\n]*\{/.test(dump.raw ?? '')) {
      await writeStdout(`${dump.raw!}\n`);
      return ExitCode.OK;
    }
    // in pieces: the text may be longer than a JavaScript string can be
    const safe = redactSecrets(dump.keepExactNumbers().root);
    if (format === 'json') await printPieces(jsonTextPieces(safe, 1));
    else await printPieces((await import('../envoy/goyaml.js')).toGoYamlPieces(safe));
    return ExitCode.OK;
  });
}

async function runLog(pod: string | undefined, opts: Opts): Promise<number> {
  const { format, timeoutMs } = common(opts);
  if (format !== 'short') throw usageError('-o/--output is not supported by proxy-config log');
  if (opts.level !== undefined && opts.reset) throw usageError('--level and --reset cannot be used together');
  const targets = [pod, opts.selector, opts.adminUrl].filter((x) => x !== undefined).length;
  if (targets === 0) throw usageError('log requires pod name or --selector');
  if (targets > 1) throw usageError('give only one of: pod name, --selector, --admin-url');

  const { openEndpoint } = await import('../envoy/source.js');
  const { openSelectedEndpoints } = await import('../kube/proxy-target.js');
  const endpoints =
    opts.selector !== undefined
      ? await whileWaiting(
          `Connecting to the pods matching ${opts.selector}`,
          openSelectedEndpoints({ ...access(opts, timeoutMs), selector: opts.selector }),
        )
      : [
          await openEndpoint(pod, {
            ...access(opts, timeoutMs),
            offline: '--admin-url works without a cluster',
          }),
        ];
  const { AdminClient } = await import('../envoy/admin.js');
  const { applyLogLevels, parseLogLevels, resetLogLevel } = await import('../envoy/logging.js');
  let spec: string | undefined = opts.level;
  if (opts.reset) spec = await resetLogLevel(access(opts, timeoutMs), opts.istioNamespace);
  try {
    for (const ep of endpoints) {
      const client = new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: ep.label });
      const listing = await client.logging();
      const result =
        spec === undefined ? listing : await applyLogLevels(client, parseLogLevels(spec, listing), listing);
      await writeStdout(`${ep.label}:\n${result}`);
    }
  } finally {
    for (const ep of endpoints) await ep.close();
  }
  return ExitCode.OK;
}

async function runRootCaCompare(a: string, b: string, opts: Opts): Promise<number> {
  const { format, timeoutMs } = common(opts);
  await bothSidesFromStdin(a, b);
  const { openSide } = await import('../envoy/source.js');
  const { proxyRootCas, rootCaReport, rootCasMatch, rootCaVerdict } = await import('../envoy/rootca.js');
  const proxies: ProxyRoots[] = [];
  for (const side of [a, b]) {
    const source = await openSide(side, access(opts, timeoutMs));
    try {
      const dump = await source.dump({ mask: SECRETS_MASK });
      proxies.push({ label: source.label, roots: proxyRootCas(dump, source.label) });
    } finally {
      await source.close();
    }
  }
  const same = rootCasMatch(proxies[0]!.roots, proxies[1]!.roots);
  if (format !== 'short') {
    // the same answer for scripts (exit 79 when the roots differ)
    await printStructured(rootCaReport(proxies, same), format);
    return same ? ExitCode.OK : ExitCode.FINDINGS;
  }
  if (same) {
    await writeStdout(rootCaVerdict(proxies, same));
    return ExitCode.OK;
  }
  throw new MeshError(rootCaVerdict(proxies, same), { exitCode: ExitCode.FINDINGS });
}

async function runDiff(a: string, b: string, opts: Opts): Promise<number> {
  const format = parseOutputFormat(opts.output, ['short', 'json'] as const, 'short');
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  await bothSidesFromStdin(a, b);
  const { openSide } = await import('../envoy/source.js');
  const dumps: ConfigDump[] = [];
  const labels: string[] = [];
  for (const side of [a, b]) {
    const source = await openSide(side, access(opts, timeoutMs));
    try {
      dumps.push(await source.dump({ includeEds: true }));
      labels.push(source.label);
    } finally {
      await source.close();
    }
  }
  const { writeProxyConfigDiff } = await import('../envoy/diff.js');
  return writeProxyConfigDiff(dumps, labels, format);
}

/** `- -`: stdin is read once, so the second side would be an empty dump (exit 64 before reading). */
async function bothSidesFromStdin(a: string, b: string): Promise<void> {
  const { stdinOnce } = await import('../util/input.js');
  stdinOnce([
    ['<first>', a],
    ['<second>', b],
  ]);
}
