/**
 * `mesh proxy-status <pod>`: istiod's intended config for the proxy against the proxy's own (its Envoy
 * config dump through the admin port, `--file`, or for proxyless gRPC clients `--csds-address`).
 * Every replica is asked (istioctl stops at the first answer, empty or not); of several that know the
 * proxy, the one it is connected to is compared (see connectedHolder).
 */
import { ExitCode, MeshError, usageError } from '../util/errors.js';
import { warn, writeStdout } from '../util/output.js';
import { checkRefNamespace, isDnsSubdomain } from '../util/names.js';
import { checkHostPort, type ControlPlaneOptions } from '../xds-client/control-plane.js';
import type { ConfigSide } from './compare.js';
import type { ReplicaAnswer } from './status.js';

/** What `mesh proxy-status <pod>` was asked (its pod-less flags refused by runProxyDiff). */
export interface ProxyDiffRequest {
  /** The pod argument; undefined when only --file or --csds-address was given (refused). */
  pod: string | undefined;
  /** -o, as given: with a pod only `table` (the default) and `short` are taken. */
  output: string;
  /** -n: the pod's namespace when its argument has none. */
  namespace: string | undefined;
  /** -f: the proxy's config dump instead of reading it from the proxy. */
  file: string | undefined;
  /** --csds-address: the proxy's CSDS endpoint (proxyless gRPC). */
  csdsAddress: string | undefined;
  proxyAdminPort: number;
  kubeconfig: string | undefined;
  context: string | undefined;
  timeoutMs: number;
  /** How to reach istiod (its --xds-address also spares reading the kubeconfig for the namespace). */
  controlPlane: ControlPlaneOptions;
}

/**
 * `<pod>.<ns>` as istiod names the proxy: the argument's namespace, else -n, else the context's. A name
 * no pod can have is a usage error here, not a question to every istiod replica. A `<kind>/<name>[.<ns>]`
 * (`deployment/reviews.bookinfo`) names the pod `proxy-config` would pick: its first running one.
 */
async function proxyId(pod: string, req: ProxyDiffRequest): Promise<string> {
  if (pod.includes('/')) {
    const { parsePodRef, podLabel } = await import('../kube/pods.js');
    const ref = parsePodRef(pod);
    if (ref.kind === 'pod') return proxyId(ref.namespace ? `${ref.name}.${ref.namespace}` : ref.name, req);
    const { resolveTargetPod } = await import('../kube/proxy-target.js');
    const { kubeconfig, context, namespace, timeoutMs } = req;
    return podLabel((await resolveTargetPod(pod, { kubeconfig, context, namespace, timeoutMs })).pod);
  }
  const dot = pod.lastIndexOf('.');
  const name = dot >= 0 ? pod.slice(0, dot) : pod;
  if (!isDnsSubdomain(name))
    throw usageError(
      `invalid pod name "${name}" in "${pod}"`,
      'a pod name is lower-case letters, digits, "-" and "."; <pod>.<namespace> splits at the last dot',
    );
  if (dot >= 0) {
    checkRefNamespace(pod.slice(dot + 1), pod);
    return pod;
  }
  let ns: string | undefined = req.namespace;
  if (ns === undefined && req.controlPlane.xdsAddress === undefined) {
    const { loadKubeContext } = await import('../kube/config.js');
    ns = loadKubeContext({ kubeconfig: req.kubeconfig, context: req.context }).namespace;
  }
  return `${pod}.${ns ?? 'default'}`;
}

/** The proxy's side of the comparison, and the versions of what it holds (see connected-replica.ts). */
interface ProxySide {
  side: ConfigSide;
  versions: Set<string>;
}

async function proxySide(id: string, req: ProxyDiffRequest): Promise<ProxySide> {
  const { timeoutMs } = req;
  const { readSide, csdsSide } = await import('./compare.js');
  const { dumpVersions } = await import('./connected-replica.js');
  const { ConfigDump } = await import('../envoy/dump.js');
  if (req.file !== undefined) {
    const { readUtf8Input } = await import('../util/input.js');
    const { UNMARSHAL } = await import('../envoy/dump.js');
    const text = await readUtf8Input(req.file, `cannot read ${req.file}: `, `${UNMARSHAL}: `);
    const source = req.file === '-' ? 'stdin' : req.file;
    const dump = ConfigDump.parse(text, source);
    const side = readSide(dump, source);
    return { side, versions: dumpVersions(dump) };
  }
  if (req.csdsAddress !== undefined) {
    const { fetchClientStatus } = await import('../xds-client/client.js');
    const endpoint = `CSDS ${req.csdsAddress}`;
    const configs = await fetchClientStatus(
      { address: req.csdsAddress, name: endpoint, security: { mode: 'plaintext' } },
      { timeoutMs },
    );
    const { dump, warning, versions } = csdsSide(configs, id, endpoint);
    if (warning) warn(`warning: ${warning}`);
    return { side: { dump, problems: [] }, versions };
  }
  const { openProxyEndpoint } = await import('../kube/proxy-target.js');
  const { AdminClient } = await import('../envoy/admin.js');
  const ep = await openProxyEndpoint({
    target: id,
    kubeconfig: req.kubeconfig,
    context: req.context,
    adminPort: req.proxyAdminPort,
    timeoutMs,
  });
  try {
    const dump = await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: ep.label }).configDump();
    const side = readSide(dump, `${ep.label} /config_dump`);
    return { side, versions: dumpVersions(dump) };
  } finally {
    await ep.close();
  }
}

const resourcesOf = (a: ReplicaAnswer) => (a.response?.resources as unknown[] | undefined) ?? [];

/**
 * Of the replicas that have config for the proxy (`holders`, more than one), the one it is connected to:
 * the replica that sent a version the proxy holds. When that cannot be told, the first, and a warning
 * when the replicas' configs for it differ (the comparison may then show their difference, not the
 * proxy's).
 */
async function connectedHolder(
  id: string,
  holders: ReplicaAnswer[],
  pages: ReplicaAnswer[],
  proxy: ProxySide,
): Promise<{ found: ReplicaAnswer; warning?: string }> {
  const { dumpVersions, listed, replicasOfProxy, synczPageVersions } = await import('./connected-replica.js');
  const { ConfigDump } = await import('../envoy/dump.js');
  const { compareConfigs, istiodSide } = await import('./compare.js');
  const sent = holders.map((h) => {
    const versions = dumpVersions(new ConfigDump({ configs: resourcesOf(h) }).readLeniently());
    const page = pages.find((p) => p.replica === h.replica)?.response;
    for (const v of synczPageVersions(page, id)) versions.add(v);
    return { replica: h.replica, versions };
  });
  const connected = replicasOfProxy(sent, proxy.versions);
  if (connected.length === 1) return { found: holders.find((h) => h.replica === connected[0])! };
  const found = holders[0]!;
  const side = (h: ReplicaAnswer) => {
    try {
      return istiodSide(resourcesOf(h), `istiod ${h.replica}`);
    } catch {
      return undefined; // not a config dump: not the same config (compared, it is an error of its own)
    }
  };
  const first = side(found);
  const agree = holders.slice(1).every((h) => {
    const other = side(h);
    return first && other && compareConfigs(first, other, { a: found.replica, b: h.replica }).same;
  });
  if (agree) return { found };
  const names = holders.map((h) => h.replica);
  const why =
    proxy.versions.size === 0
      ? "the proxy's config carries no versions"
      : connected.length === 0
        ? 'none of them sent a version the proxy holds'
        : `${listed(connected)} each sent a version the proxy holds`;
  return {
    found,
    warning:
      `replicas ${listed(names)} have different config for ${id}, and which one the proxy is connected to ` +
      `cannot be told (${why}): compared with ${found.replica}'s; a difference may be between the replicas, not the proxy`,
  };
}

export async function runProxyDiff(req: ProxyDiffRequest): Promise<number> {
  const { pod, timeoutMs, controlPlane: cp } = req;
  if (pod === undefined)
    throw req.file !== undefined
      ? usageError('proxy-status --file needs a pod name: mesh proxy-status <pod> --file dump.json')
      : usageError(
          'proxy-status --csds-address needs a pod name: mesh proxy-status <pod> --csds-address host:port',
        );
  if (req.output !== 'table' && req.output !== 'short')
    throw usageError(`output format "${req.output}" not supported with a pod argument`);
  if (req.csdsAddress !== undefined) checkHostPort('--csds-address', req.csdsAddress, '10.0.0.7:15000');
  const id = await proxyId(pod, req);
  const { withEveryReplica } = await import('../xds-client/replicas.js');
  const { CONFIG_DUMP_TYPE, SYNCZ_TYPE } = await import('../xds-client/client.js');
  const { DEBUG_TYPE } = await import('./connected-replica.js');
  const { answers, holders, synczs, pages } = await withEveryReplica(cp, timeoutMs, async (ask) => {
    const answers = await ask(CONFIG_DUMP_TYPE, [id]);
    const holders = answers.filter((a) => resourcesOf(a).length > 0);
    const names = holders.map((h) => h.replica);
    // istiod answers for the first of its connections with that node id: the proxies connected to a
    // replica say whether there are several. Several replicas with config for the proxy: their syncz
    // debug pages say which versions each sent it (see connectedHolder)
    const [synczs, pages] = await Promise.all([
      holders.length > 0 ? ask(SYNCZ_TYPE, [], names) : [],
      holders.length > 1 ? ask(DEBUG_TYPE, ['syncz'], names) : [],
    ]);
    return { answers, holders, synczs, pages };
  });
  const failed = answers.filter((a) => a.error);
  // the only replica asked failed: its error (and hint) is the answer, not "no replica has config"
  if (holders.length === 0 && failed.length === 1 && answers.length === 1) throw failed[0]!.error!;
  for (const a of failed) warn(`error: ${a.error!.message}`);
  if (holders.length === 0) {
    if (failed.length === answers.length)
      throw new MeshError(`none of the ${answers.length} control-plane replicas answered (see above)`);
    const unanswered = failed.length > 0 ? `; ${failed.length} did not answer` : '';
    throw new MeshError(
      `no control-plane replica has config for proxy ${id} (asked ${answers.length}${unanswered})`,
      { hint: 'is the proxy connected? `mesh proxy-status` lists the proxies each replica knows' },
    );
  }
  const { istiodSide, compareConfigs, renderComparison, unreadableParts } = await import('./compare.js');
  const { renderDiffText } = await import('../envoy/diff.js');
  let found = holders[0]!;
  let intended: ConfigSide;
  let actual: ConfigSide;
  if (holders.length === 1) {
    intended = istiodSide(resourcesOf(found), `istiod ${found.replica}`);
    actual = (await proxySide(id, req)).side;
  } else {
    const proxy = await proxySide(id, req);
    const choice = await connectedHolder(id, holders, pages, proxy);
    found = choice.found;
    if (choice.warning) warn(`warning: ${choice.warning}`);
    actual = proxy.side;
    intended = istiodSide(resourcesOf(found), `istiod ${found.replica}`);
  }
  const d = compareConfigs(intended, actual, { a: `istiod ${found.replica}`, b: `proxy ${id}` });
  await writeStdout(renderComparison(d, renderDiffText));
  // what could not be read was left out of the comparison: named, exit 65 unless a difference was found
  const unreadable = unreadableParts(intended, actual, d);
  for (const line of unreadable) warn(`error: ${line}`);
  const { sharedNodeIds } = await import('./status.js');
  const syncz = synczs.find((a) => a.replica === found.replica);
  const shared = sharedNodeIds(syncz?.response).get(id);
  if (syncz?.error)
    warn(`warning: cannot tell whether other proxies share node id ${id}: ${syncz.error.message}`);
  if (shared)
    warn(
      `error: istiod ${found.replica}: ${shared} connected proxies share node id ${id}: its config above is one of theirs, not necessarily this pod's`,
    );
  // a difference (79), then an answer that may be another proxy's (1), then what could not be read (65)
  if (!d.same) return ExitCode.FINDINGS;
  if (shared) return ExitCode.RUNTIME;
  return unreadable.length > 0 ? ExitCode.DATA : ExitCode.OK;
}
