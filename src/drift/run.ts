/**
 * `mesh drift` past its flags: reads the proxies (from the cluster, saved dumps, CSDS endpoints) or, with
 * --control-plane, what every istiod replica would send each proxy, compares them (drift.ts), writes the
 * report and gives the exit code.
 */
import { ExitCode, MeshError, describeError, usageError } from '../util/errors.js';
import { warn } from '../util/output.js';
import { checkRefNamespace, isDnsSubdomain } from '../util/names.js';
import { mapBounded } from '../util/bounded.js';
import type { ControlPlaneOptions } from '../xds-client/control-plane.js';
import {
  bootstrapIps,
  comparable,
  detectControlPlaneDrift,
  detectDrift,
  driftTextLines,
  nodeIps,
  trustedRoots,
  workloadFromName,
  workloadOf,
  type DriftReport,
  type ProxyConfig,
} from './drift.js';

/** What `mesh drift` was asked, its flags checked. */
export interface DriftRequest {
  format: 'text' | 'json';
  timeoutMs: number;
  /** Proxies (with --control-plane: proxies' configs) read at once. */
  concurrency: number;
  /** -n: only proxies in this namespace (without it, the kubeconfig context's); undefined with -A. */
  namespace: string | undefined;
  allNamespaces: boolean;
  /** `--csds <pod>.<ns>=<host:port>` values, as given (checked before anything is read). */
  csds: string[];
  /** `-f <pod>.<ns>=<dump file>` values, as given (checked before anything is read). */
  file: string[];
  proxyAdminPort: number;
  kubeconfig: string | undefined;
  context: string | undefined;
  /** --control-plane: how to reach istiod, whose replicas' configs for each proxy are compared. */
  controlPlane: ControlPlaneOptions | undefined;
}

/** An error of one proxy or replica (it is named; the others are still compared), with its exit code. */
type Fail = (entry: { id: string; error: string }, exitCode: number) => void;

const exitCodeOf = (err: unknown) => (err instanceof MeshError ? err.exitCode : ExitCode.RUNTIME);

/**
 * A live proxy (its admin endpoint, its CSDS endpoint) that could not be read is exit 1 whatever went
 * wrong, an answer cut short or not a config dump included: 65 and 66 are for `-f` files.
 */
const liveExitCode = (err: unknown) => {
  const code = exitCodeOf(err);
  return code === ExitCode.DATA || code === ExitCode.NOINPUT ? ExitCode.RUNTIME : code;
};

/**
 * The exit code of the errors when nothing drifted: 1 when a proxy or replica could not be reached (or
 * failed otherwise), else 66 when a dump file is missing or unreadable, else 65 when some input could not
 * be parsed (a dump, or a part of one, that was left out of the comparison).
 */
function errorsExitCode(codes: readonly number[]): number {
  if (codes.length === 0) return ExitCode.OK;
  if (codes.some((c) => c !== ExitCode.NOINPUT && c !== ExitCode.DATA)) return ExitCode.RUNTIME;
  return codes.includes(ExitCode.NOINPUT) ? ExitCode.NOINPUT : ExitCode.DATA;
}

/** `<pod>.<ns>=<value>`, the pod and namespace valid Kubernetes names. */
function pair(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  const id = text.slice(0, Math.max(eq, 0));
  const dot = id.lastIndexOf('.');
  // the pod's name is what drift replaces by a placeholder in its config: both parts are needed
  if (eq <= 0 || eq === text.length - 1 || dot <= 0 || dot === id.length - 1)
    throw usageError(`invalid ${flag} "${text}": expected <pod>.<namespace>=<value>`);
  if (!isDnsSubdomain(id.slice(0, dot)))
    throw usageError(
      `invalid ${flag} "${text}": "${id.slice(0, dot)}" is not a pod name`,
      'a pod name is lower-case letters, digits, "-" and "."; <pod>.<namespace> splits at the last dot',
    );
  checkRefNamespace(id.slice(dot + 1), text);
  return [id, text.slice(eq + 1)];
}

type Spec = readonly ['csds' | 'file', string, string];

/**
 * The `--csds` and `-f` proxies, each checked before anything is read. A proxy given twice is refused:
 * the second would silently stand in for the first, one replica fewer compared.
 */
async function offlineSpecs(req: DriftRequest): Promise<Spec[]> {
  const { checkHostPort } = await import('../xds-client/control-plane.js');
  const specs: Spec[] = [
    ...req.csds.map((t) => ['csds', ...pair('--csds', t)] as const),
    ...req.file.map((t) => ['file', ...pair('--file', t)] as const),
  ];
  const { stdinOnce } = await import('../util/input.js');
  stdinOnce(specs.filter(([kind]) => kind === 'file').map(([, , where]) => ['-f', where] as const));
  const given = new Map<string, string>();
  for (const [kind, id, where] of specs) {
    const flag = `${kind === 'csds' ? '--csds' : '-f'} ${id}=${where}`;
    const first = given.get(id);
    if (first !== undefined)
      throw usageError(`proxy ${id} is given twice: ${first}, ${flag}`, 'give each replica once');
    given.set(id, flag);
    if (kind === 'csds') checkHostPort('--csds', where, 'catalog-0.shop=10.0.0.7:15000');
  }
  return specs;
}

/** Reads and compares the proxies (or istiod's replicas), writes the report; returns the exit code. */
export async function runDrift(req: DriftRequest): Promise<number> {
  const errors: Array<{ id: string; error: string }> = [];
  const codes: number[] = [];
  const fail: Fail = (entry, exitCode) => {
    if (errors.some((e) => e.id === entry.id && e.error === entry.error)) return;
    errors.push(entry);
    codes.push(exitCode);
  };
  // a part of a dump that could not be read: left out of the comparison, named here
  const unreadable = (id: string, error: string) => fail({ id, error }, ExitCode.DATA);
  const offline = req.csds.length > 0 || req.file.length > 0;
  const report: DriftReport = req.controlPlane
    ? {
        workloads: [],
        controlPlane: detectControlPlaneDrift(
          await controlPlaneConfigs(req, req.controlPlane, fail),
          unreadable,
        ),
        errors,
      }
    : {
        workloads: detectDrift(
          offline ? await offlineProxies(req, fail) : await clusterProxies(req, fail),
          unreadable,
        ),
        errors,
      };
  // in pieces: the diffs of many drifted replicas make more text than a JavaScript string holds
  const { jsonChunks, writeChunks } = await import('../render/chunks.js');
  if (req.format === 'json') await writeChunks(jsonChunks(report));
  else {
    await writeChunks(driftTextLines(report));
    for (const e of report.errors) warn(`error: ${e.id}: ${e.error}`);
    // the report has a line for every workload and, when asked for, the control plane's
    if (report.workloads.length === 0 && report.controlPlane === undefined && report.errors.length === 0)
      warn('No proxies found.');
  }
  const drifted =
    report.workloads.some((w) => w.drifted.length > 0) ||
    (report.controlPlane ?? []).some((c) => c.drifted.length > 0);
  // drift found (79) outranks the errors: a proxy not reached (1), a dump file missing (66), a dump or
  // a part of one that could not be parsed (65)
  return drifted ? ExitCode.FINDINGS : errorsExitCode(codes);
}

/** `<replica>: <why>` from a replica's error: the replica as the id, the rest as the error. */
function replicaError(replica: string, err: Error, asking?: string) {
  const m = err.message;
  const why = m.startsWith(replica) && m.includes(': ') ? m.slice(m.indexOf(': ') + 2) : m;
  return { id: replica, error: asking ? `${why} (asking for ${asking})` : why };
}

/**
 * The proxies every replica serves (istiod's syncz, filtered by -n), then for each one every replica's
 * config_dump for it; a replica answering none does not serve that proxy.
 */
async function controlPlaneConfigs(req: DriftRequest, o: ControlPlaneOptions, fail: Fail) {
  const { openControlPlane } = await import('../xds-client/control-plane.js');
  const { askTargets } = await import('../xds-client/replicas.js');
  const { SYNCZ_TYPE, CONFIG_DUMP_TYPE } = await import('../xds-client/client.js');
  const { rowsOf, sharedNodeIds } = await import('../proxy-status/status.js');
  const { istiodSide } = await import('../proxy-status/compare.js');
  const { timeoutMs } = req;
  const cp = await openControlPlane(o);
  try {
    const ask = (type: string, names: string[]) =>
      askTargets(cp.targets, o.istioNamespace, type, names, timeoutMs);
    const syncz = await ask(SYNCZ_TYPE, []);
    const failed = syncz.filter((a) => a.error !== undefined);
    if (failed.length === syncz.length) {
      for (const f of failed.slice(1)) warn(`error: ${f.error!.message}`);
      throw failed[0]!.error!;
    }
    for (const f of failed) fail(replicaError(f.replica, f.error!), exitCodeOf(f.error));
    const answering = cp.targets.filter((t) => !failed.some((f) => f.replica === t.name));
    const ids = [...new Set(rowsOf(syncz, req.allNamespaces ? undefined : req.namespace).map((r) => r.name))];
    // istiod's config for a node id that several of its proxies share is one connection's, whichever it
    // finds first: such an answer is named and not compared (it may be another proxy's config)
    const shared = new Map(syncz.map((a) => [a.replica, sharedNodeIds(a.response)]));
    return await mapBounded(ids, req.concurrency, async (proxy) => {
      const answers = await askTargets(answering, o.istioNamespace, CONFIG_DUMP_TYPE, [proxy], timeoutMs);
      const intended = [];
      const ambiguous: string[] = [];
      for (const a of answers) {
        if (a.error) fail(replicaError(a.replica, a.error, proxy), exitCodeOf(a.error));
        const resources = (a.response?.resources as unknown[] | undefined) ?? [];
        if (resources.length === 0) continue;
        const n = shared.get(a.replica)?.get(proxy);
        if (n) {
          const error = `${n} connected proxies share node id ${proxy}: its config for it is one of theirs, not compared`;
          fail({ id: a.replica, error }, ExitCode.RUNTIME);
          ambiguous.push(a.replica);
          continue;
        }
        try {
          intended.push({ replica: a.replica, ...istiodSide(resources, `config_dump for ${proxy}`) });
        } catch (err) {
          fail({ id: a.replica, error: describeError(err) }, exitCodeOf(err)); // not a config dump at all
        }
      }
      return { proxy, intended, ambiguous };
    });
  } finally {
    await cp.close();
  }
}

async function offlineProxies(req: DriftRequest, fail: Fail) {
  const { timeoutMs } = req;
  const { csdsSide } = await import('../proxy-status/compare.js');
  const specs = await offlineSpecs(req);
  const read = async ([kind, id, where]: Spec): Promise<ProxyConfig | undefined> => {
    try {
      let dump;
      let problems;
      let roots;
      let ips: string[] = [];
      if (kind === 'csds') {
        const { fetchClientStatus } = await import('../xds-client/client.js');
        const configs = await fetchClientStatus(
          { address: where, name: `CSDS ${where}`, security: { mode: 'plaintext' } },
          { timeoutMs },
        );
        const side = csdsSide(configs, id, `CSDS ${where}`);
        if (side.warning) warn(`warning: ${id}: ${side.warning}`);
        dump = side.dump;
        // the pod's IPs as a live read has them: from its clients' node ids and INSTANCE_IPS
        ips = [...new Set(side.nodes.flatMap(nodeIps))];
      } else {
        const { readUtf8Input } = await import('../util/input.js');
        const { ConfigDump, UNMARSHAL } = await import('../envoy/dump.js');
        // what cannot be read is left out (and reported), the rest compared
        const text = await readUtf8Input(where, `cannot read ${where}: `, `${UNMARSHAL}: `);
        const full = ConfigDump.parse(text, where);
        // the pod's IPs and trusted roots as a live read has them: from the dump's bootstrap and secrets
        ({ dump, problems } = comparable(full));
        roots = trustedRoots(full);
        ips = bootstrapIps(full);
      }
      const podSpecific = [id.slice(0, id.lastIndexOf('.'))];
      return { id, workload: workloadFromName(id), dump, podSpecific, ips, roots, problems };
    } catch (err) {
      fail({ id, error: describeError(err) }, kind === 'file' ? exitCodeOf(err) : liveExitCode(err));
      return undefined;
    }
  };
  return (await mapBounded(specs, req.concurrency, read)).filter((p): p is ProxyConfig => p !== undefined);
}

async function clusterProxies(req: DriftRequest, fail: Fail) {
  const { timeoutMs } = req;
  const { loadKubeContext } = await import('../kube/config.js');
  const { KubeApi } = await import('../kube/api.js');
  const { isRunning, listProxyPods, podLabel } = await import('../kube/pods.js');
  const { openPodEndpoint } = await import('../kube/proxy-target.js');
  const { AdminClient } = await import('../envoy/admin.js');
  const kube = loadKubeContext({
    kubeconfig: req.kubeconfig,
    context: req.context,
    namespace: req.namespace,
    offline: '-f or --csds work without a cluster',
  });
  const api = new KubeApi(kube, timeoutMs);
  const pods = (await listProxyPods(api, req.allNamespaces ? undefined : kube.namespace)).filter(isRunning);
  // ReplicaSet → Deployment, once per ReplicaSet
  const rsOwners = new Map<string, string>();
  for (const p of pods) {
    const o = (p.metadata?.ownerReferences ?? []).find((r: any) => r?.controller && r.kind === 'ReplicaSet');
    const key = `${p.metadata.namespace}/${o?.name}`;
    if (!o || rsOwners.has(key)) continue;
    try {
      const namespace = String(p.metadata.namespace);
      const rs = await api.call(
        `GET /apis/apps/v1/namespaces/${namespace}/replicasets/${o.name}`,
        (c, opts) => c.apps.readNamespacedReplicaSet({ namespace, name: String(o.name) }, opts),
      );
      const dep = (rs?.metadata?.ownerReferences ?? []).find(
        (r: any) => r?.controller && r.kind === 'Deployment',
      );
      if (dep) rsOwners.set(key, dep.name);
    } catch {
      // without the ReplicaSet the pod is grouped by its ReplicaSet: still its siblings
    }
  }
  const read = async (pod: any): Promise<ProxyConfig | undefined> => {
    const id = podLabel(pod);
    try {
      const ep = await openPodEndpoint(api, pod, req.proxyAdminPort, timeoutMs);
      try {
        const full = await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs, label: id }).configDump();
        // what cannot be read is left out (and reported), the rest compared
        const { dump, problems } = comparable(full);
        const roots = trustedRoots(full);
        const podIps = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((x: any) => x?.ip)];
        return {
          id,
          workload: workloadOf(pod, rsOwners),
          dump,
          podSpecific: [pod.metadata.name],
          ips: [
            ...new Set([
              ...podIps.filter((ip) => typeof ip === 'string' && ip !== ''),
              ...bootstrapIps(full),
            ]),
          ],
          roots,
          problems,
        };
      } finally {
        await ep.close();
      }
    } catch (err) {
      // an answer cut short or not a config dump: the proxy could not be read (1), as when unreachable
      fail({ id, error: describeError(err) }, liveExitCode(err));
      return undefined;
    }
  };
  return (await mapBounded(pods, req.concurrency, read)).filter((p): p is ProxyConfig => p !== undefined);
}
