/**
 * Drift between proxies that should be identical: replicas of one workload. Each proxy's config is
 * normalised (dynamic clusters, listeners and routes and its extension configs (ECDS) only; versions and
 * timestamps dropped by the diff engine; the pod's own name and IPs replaced by placeholders; listeners
 * and clusters for another replica's IP left out; certificates left out), the replicas of a workload are
 * grouped by equal config (equal as the diff engine compares: resources and named list elements in any
 * order), the largest group is taken as the workload's config, and every other replica is reported with
 * a semantic diff against it. Root certificates are compared on their own. Pure: run.ts gathers the
 * dumps.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  diffDumps,
  diffTextLines,
  duplicateKeys,
  IGNORED_KEYS,
  namedElements,
  orderedList,
  problemKind,
  type DumpDiff,
} from '../envoy/diff.js';
import {
  ConfigDump,
  DumpType,
  dumpOfResources,
  dynamicValues,
  type DumpProblem,
  type Resource,
} from '../envoy/dump.js';
import { isObj, obj, str, type Obj } from '../envoy/fields.js';
import { istioNodeId } from '../envoy/istio.js';
import { listenerAddress, listenerPort } from '../envoy/listeners.js';
import { redactSecrets, toProtoJson } from '../envoy/protojson.js';
import { rootCaCertificates } from '../envoy/rootca.js';
import { escapeControl } from '../render/escape.js';
import { escapeRegExp } from '../util/values.js';

export interface ProxyConfig {
  /** `<pod>.<namespace>`. */
  id: string;
  /** What the proxy is a replica of, e.g. `shop/Deployment/catalog`. */
  workload: string;
  dump: ConfigDump;
  /** Names that are this pod's own (its pod name), replaced by a placeholder before comparing. */
  podSpecific: string[];
  /**
   * This pod's own IPs, replaced by a placeholder before comparing. Within a workload, the listeners and
   * clusters for another replica's IP are left out: istiod builds none for a proxy's own IP, so each
   * replica of a StatefulSet behind a headless Service has those of its siblings only.
   */
  ips?: string[];
  /** SHA-256 fingerprints of the root certificates the proxy trusts (when its dump shows them). */
  roots?: string[];
  /**
   * What could not be read of its clusters, listeners and routes (a lenient read of the dump): left out
   * of `dump`, never a difference; reported through `detectDrift`'s `report`.
   */
  problems?: DumpProblem[];
}

export interface DriftedProxy {
  id: string;
  /** The replica its config was compared with (one of the majority). */
  comparedWith: string;
  configDiff?: DumpDiff;
  rootsDiffer?: boolean;
}

export interface WorkloadDrift {
  workload: string;
  replicas: string[];
  drifted: DriftedProxy[];
  /** Some replica's config could not all be read: what was left out was not compared. */
  incomplete?: boolean;
}

/** One proxy's config as each control-plane replica that serves it would send it. */
export interface ControlPlaneDrift {
  proxy: string;
  /** The replicas that answered with config for the proxy. */
  replicas: string[];
  drifted: Array<{ replica: string; comparedWith: string; configDiff: DumpDiff }>;
  /** Replicas with config for the proxy that serve several proxies of its node id: not compared. */
  ambiguous?: string[];
}

export interface DriftReport {
  workloads: WorkloadDrift[];
  /** With `--control-plane`: per proxy, the replicas whose config for it differs. */
  controlPlane?: ControlPlaneDrift[];
  /** Proxies that could not be read, with why. */
  errors: Array<{ id: string; error: string }>;
}

/**
 * A pattern for one of a pod's own strings where it stands whole: an IP not inside a longer number
 * (10.0.0.1 in 10.0.0.12, a sibling's IP), a name not inside a longer name (web-1 in web-10).
 */
function ownPattern(s: string, ip: boolean): RegExp {
  const e = escapeRegExp(s);
  if (!ip) return new RegExp(`(?<![A-Za-z0-9-])${e}(?![A-Za-z0-9-])`, 'g');
  if (isIP(s) === 6) return new RegExp(`(?<![0-9A-Fa-f:])${e}(?![0-9A-Fa-f:])`, 'g');
  return new RegExp(`(?<![0-9.])${e}(?![0-9]|\\.[0-9])`, 'g');
}

type Sub = { from: string; re: RegExp; to: string };

function replaceAll(v: unknown, subs: Sub[]): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const { from, re, to } of subs) if (s.includes(from)) s = s.replace(re, to);
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => replaceAll(x, subs));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[replaceAll(k, subs) as string] = replaceAll(x, subs);
  return out;
}

// a dump without an ECDS section has none; one that does not parse is, read leniently, a problem of its
// own (the rest still compared): found without parsing it
const ecdsOf = (d: ConfigDump) => (d.has(DumpType.ecds) ? dynamicValues(d.ecdsFilters()) : []);

/**
 * What drift compares of a proxy's Envoy config dump (read leniently): its dynamic clusters, active
 * listeners, dynamic routes and extension configs (ECDS), and what of those could not be read.
 */
export function comparable(full: ConfigDump): { dump: ConfigDump; problems: DumpProblem[] } {
  full.readLeniently();
  // an ECDS section always: the replicas' dumps then compare extension configs, none being none
  const dump = dumpOfResources({
    clusters: dynamicValues(full.clusters()),
    listeners: dynamicValues(full.listeners()),
    routes: dynamicValues(full.routes()),
    ecds: ecdsOf(full),
  });
  const kinds = ['cluster', 'listener', 'route', 'ecds'];
  return { dump, problems: full.problems.filter((p) => kinds.includes(problemKind(p) ?? '')) };
}

/** SHA-256 fingerprints of the root certificates a dump's `ROOTCA` secret holds; undefined without one. */
export function trustedRoots(full: ConfigDump): string[] | undefined {
  try {
    return rootCaCertificates(full).map((c) => createHash('sha256').update(c).digest('hex'));
  } catch {
    return undefined; // no (readable) ROOTCA secret in the dump
  }
}

/** The IPs a node names: the `<ip>` of a sidecar id `sidecar~<ip>~<pod>.<ns>~…` and its `INSTANCE_IPS`. */
export function nodeIps(node: unknown): string[] {
  const id = istioNodeId(str(node, 'id'));
  const instance = str(obj(node, 'metadata'), 'INSTANCE_IPS').split(',');
  const all = [...(id ? [id.ip] : []), ...instance].map((s) => s.trim());
  return [...new Set(all.filter((s) => isIP(s) !== 0))];
}

/** The proxy's own IPs from a dump's bootstrap (its node); none without a readable one. */
export function bootstrapIps(full: ConfigDump): string[] {
  try {
    return full.section(DumpType.bootstrap) ? nodeIps(obj(full.bootstrap(), 'node')) : [];
  } catch {
    return [];
  }
}

/** `10.244.1.5` of a listener name `10.244.1.5_9042` (`[fd00::5]_9042`), or the name. */
const listenerHost = (name: string) => name.replace(/_\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/** A listener or cluster for one of `ips`: by its address, or a name that is the IP (with a port). */
function forIps(kind: 'cluster' | 'listener', v: Obj, ips: ReadonlySet<string>): boolean {
  if (ips.size === 0) return false;
  const name = str(v, 'name');
  if (kind === 'listener') return ips.has(listenerAddress(v)) || ips.has(listenerHost(name));
  // outbound|9042||10.244.1.5
  const parts = name.split('|');
  return ips.has(name) || (parts.length === 4 && ips.has(parts[3]!));
}

/**
 * The comparable form of a proxy's config: its listeners and clusters for `siblings` (the other
 * replicas' IPs) left out, placeholders for the pod's own name and IPs.
 */
export function normalise(p: ProxyConfig, siblings: ReadonlySet<string> = new Set()): ConfigDump {
  const d = p.dump;
  const dump = dumpOfResources({
    clusters: dynamicValues(d.clusters()).filter((v) => !forIps('cluster', v, siblings)),
    listeners: dynamicValues(d.listeners()).filter((v) => !forIps('listener', v, siblings)),
    routes: dynamicValues(d.routes()),
    ecds: ecdsOf(d),
  });
  // longest first, so a string that contains another is replaced whole
  const subs = [
    ...[...new Set(p.podSpecific)].map((from) => ({ from, re: ownPattern(from, false), to: '<pod>' })),
    ...[...new Set(p.ips ?? [])].map((from) => ({ from, re: ownPattern(from, true), to: '<pod-ip>' })),
  ]
    .filter((x) => x.from !== '')
    .sort((a, b) => b.from.length - a.from.length);
  return new ConfigDump(replaceAll(dump.root, subs) as Obj);
}

/**
 * A value in a form that is equal exactly when the diff engine finds no difference: keys sorted,
 * bookkeeping dropped, elements that are matched by name sorted by name (but for lists whose order the
 * diff compares: filters).
 */
function canonical(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) {
    const items = v.map((x) => canonical(x));
    if (v.length === 0 || !namedElements(v) || orderedList(key)) return items;
    const names = v.map((e) => (e as Obj).name as string);
    return items
      .map((x, i) => [names[i]!, x] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, x]) => x);
  }
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) if (!IGNORED_KEYS.has(k)) out[k] = canonical(v[k], k);
  return out;
}

/** An unnamed listener's `address:port`; a port that cannot be read is compared by the diff, not named here. */
function unnamedListener(v: Obj): string {
  try {
    return `${listenerAddress(v)}:${listenerPort(v)}`;
  } catch {
    return '';
  }
}

/** What names each kind of resource, as the diff engine names it. */
const NAMED: Array<[string, (d: ConfigDump) => Resource[], (v: Obj) => string]> = [
  ['cluster', (d) => d.clusters(), (v) => str(v, 'name')],
  ['listener', (d) => d.listeners(), (v) => str(v, 'name') || unnamedListener(v)],
  ['route', (d) => d.routes(), (v) => str(v, 'name')],
  ['ecds', (d) => ecdsOf(d).map((value) => ({ value }) as Resource), (v) => str(v, 'name')],
];

/**
 * A fingerprint of the normalised config: equal fingerprints, no difference in the diff. Resources are
 * keyed by name (in any order, as the diff matches them), values in their canonical form.
 */
function fingerprint(d: ConfigDump): string {
  const kinds: Obj = {};
  for (const [kind, list, name] of NAMED) {
    const keyed = new Map<string, unknown>();
    const key = duplicateKeys(keyed);
    for (const { value } of list(d))
      keyed.set(key(name(value)), canonical(toProtoJson(redactSecrets(value))));
    kinds[kind] = [...keyed].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  return createHash('sha256').update(JSON.stringify(kinds)).digest('hex');
}

/**
 * The drifted replicas of each workload. A replica's config that could not all be read (`problems`) is
 * compared in what could be read: a resource its siblings have and it may hold unreadable is not a
 * difference. `report` hears each problem that matters: a damaged part always, a missing section when a
 * replica it is compared with has resources of that kind.
 */
export function detectDrift(
  proxies: ProxyConfig[],
  report: (id: string, error: string) => void = () => {},
): WorkloadDrift[] {
  const byWorkload = new Map<string, ProxyConfig[]>();
  for (const p of proxies) byWorkload.set(p.workload, [...(byWorkload.get(p.workload) ?? []), p]);
  const out: WorkloadDrift[] = [];
  const damaged = (p: ProxyConfig) => (p.problems ?? []).some((x) => !x.missing);
  for (const [workload, members] of [...byWorkload].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    members.sort((a, b) => (a.id < b.id ? -1 : 1));
    let incomplete = false;
    for (const m of members)
      for (const p of m.problems ?? [])
        if (!p.missing) {
          report(m.id, p.error.message);
          incomplete = true;
        }
    // the listeners and clusters for a replica's own IP: on its siblings only (see `ips`)
    const memberIps = new Set(members.flatMap((m) => m.ips ?? []));
    const siblingsOf = (m: ProxyConfig) =>
      new Set([...memberIps].filter((ip) => !(m.ips ?? []).includes(ip)));
    const normalised = new Map(members.map((m) => [m.id, normalise(m, siblingsOf(m))]));
    const groups = new Map<string, ProxyConfig[]>();
    for (const m of members) {
      const f = fingerprint(normalised.get(m.id)!);
      groups.set(f, [...(groups.get(f) ?? []), m]);
    }
    // the largest group is the workload's config; on a tie, one whose configs could all be read, then
    // the one holding the first replica by name
    const majority = [...groups.values()].sort(
      (a, b) => b.length - a.length || Number(a.some(damaged)) - Number(b.some(damaged)),
    )[0]!;
    const reference = majority[0]!;
    const rootsOf = (p: ProxyConfig) => (p.roots ?? []).slice().sort().join(',');
    const drifted: DriftedProxy[] = [];
    for (const m of members) {
      if (m === reference) continue;
      const d: DriftedProxy = { id: m.id, comparedWith: reference.id };
      if (!majority.includes(m)) {
        const diff = diffDumps(
          normalised.get(reference.id)!,
          normalised.get(m.id)!,
          { a: reference.id, b: m.id },
          { problems: { a: reference.problems, b: m.problems } },
        );
        for (const u of diff.unreadable ?? [])
          if (u.missing) report(u.side === 'a' ? reference.id : m.id, u.error);
        if (diff.unreadable) incomplete = true;
        // a difference in what both could read: not a resource one side could not read, nor a config
        // that differs only in what the diff does not compare (the order of resources)
        if (!diff.same) d.configDiff = diff;
      }
      if (m.roots !== undefined && reference.roots !== undefined && rootsOf(m) !== rootsOf(reference))
        d.rootsDiffer = true;
      if (d.configDiff || d.rootsDiffer) drifted.push(d);
    }
    const w: WorkloadDrift = { workload, replicas: members.map((m) => m.id), drifted };
    if (incomplete) w.incomplete = true;
    out.push(w);
  }
  return out;
}

/**
 * Across control-plane replicas: each proxy's config as every replica would send it, compared as the
 * replicas of a workload are (same normalisation, majority as reference, semantic diff). `report` hears
 * what of a replica's answer could not be read, as `detectDrift`'s does.
 */
export function detectControlPlaneDrift(
  proxies: Array<{
    proxy: string;
    intended: Array<{ replica: string; dump: ConfigDump; problems: DumpProblem[] }>;
    ambiguous?: string[];
  }>,
  report: (replica: string, error: string) => void = () => {},
): ControlPlaneDrift[] {
  return proxies.map(({ proxy, intended, ambiguous }) => {
    const [w] = detectDrift(
      intended.map((i) => ({
        id: i.replica,
        workload: proxy,
        dump: i.dump,
        podSpecific: [],
        problems: i.problems,
      })),
      report,
    );
    const c: ControlPlaneDrift = {
      proxy,
      replicas: w?.replicas ?? [],
      drifted: (w?.drifted ?? []).map((d) => ({
        replica: d.id,
        comparedWith: d.comparedWith,
        configDiff: d.configDiff!,
      })),
    };
    if (ambiguous?.length) c.ambiguous = ambiguous;
    return c;
  });
}

/**
 * Human-readable: one line per workload, then each drifted replica with its semantic diff; line by line
 * (each ending in a line break), as a report of many drifted replicas may be longer than a JavaScript
 * string can be (≈ 512 MiB). Nothing at all when nothing matched: proxies that could not be read are the
 * command's errors (stderr), not lines of the report, and with none (an empty namespace, a context
 * namespace that does not exist) the command says so on stderr, as certs (and kubectl's "No resources
 * found") do. Names come from the cluster and the dumps: a control character in one would act on the
 * terminal, a line break forge a line.
 */
export function* driftTextLines(r: DriftReport): Generator<string> {
  const line = (text: string) => `${escapeControl(text)}\n`;
  // a diff's lines (escaped already) indented under its replica (the diff of a replica that drifted ends
  // in its summary)
  function* indented(d: DumpDiff): Generator<string> {
    for (const l of diffTextLines(d)) yield `  ${l}`;
  }
  for (const w of r.workloads) {
    const n = w.replicas.length;
    if (w.drifted.length === 0) {
      const partly = w.incomplete ? ' in what could be read' : '';
      yield line(`${w.workload}: ${n} replica${n === 1 ? '' : 's'}, no drift${partly}`);
      continue;
    }
    yield line(`${w.workload}: ${w.drifted.length} of ${n} replicas drifted`);
    for (const d of w.drifted) {
      if (d.rootsDiffer) yield line(`  ${d.id}: trusts other root certificates than ${d.comparedWith}`);
      if (d.configDiff) yield* indented(d.configDiff);
    }
  }
  if (r.controlPlane?.length === 0) yield line('no proxy is connected to the control plane');
  for (const c of r.controlPlane ?? []) {
    const n = c.replicas.length;
    if (n < 2 && c.ambiguous) {
      const serve = c.ambiguous.length === 1 ? 'serves' : 'serve';
      const one = n === 1 ? `, ${c.replicas[0]} one` : '';
      yield line(
        `${c.proxy}: ${c.ambiguous.join(', ')} ${serve} several proxies with this node id${one}: nothing to compare`,
      );
      continue;
    }
    if (n < 2) {
      const from = n === 0 ? 'no control-plane replica has config for it' : `only ${c.replicas[0]} serves it`;
      yield line(`${c.proxy}: ${from}, nothing to compare`);
      continue;
    }
    if (c.drifted.length === 0) {
      yield line(`${c.proxy}: ${n} control-plane replicas agree (${c.replicas.join(', ')})`);
      continue;
    }
    for (const d of c.drifted) {
      yield line(`${c.proxy}: ${d.replica} would send other config than ${d.comparedWith}`);
      yield* indented(d.configDiff);
    }
  }
}

/** Workload of a pod: its controller (ReplicaSet → its Deployment), else its `app`/`version` labels. */
export function workloadOf(pod: any, replicaSetOwners: Map<string, string>): string {
  const ns = pod?.metadata?.namespace ?? '';
  const owner = (pod?.metadata?.ownerReferences ?? []).find((o: any) => o?.controller) as any;
  if (owner) {
    if (owner.kind === 'ReplicaSet') {
      const dep = replicaSetOwners.get(`${ns}/${owner.name}`);
      if (dep) return `${ns}/Deployment/${dep}`;
    }
    return `${ns}/${owner.kind}/${owner.name}`;
  }
  const labels = pod?.metadata?.labels ?? {};
  const app = labels['app.kubernetes.io/name'] ?? labels.app;
  if (app) return `${ns}/app=${app}${labels.version ? `,version=${labels.version}` : ''}`;
  return `${ns}/Pod/${pod?.metadata?.name}`;
}

/** The characters of Kubernetes' generated name parts (a pod-template hash, a `generateName` suffix). */
const K8S = '[bcdfghjklmnpqrstvwxz2456789]';
/**
 * A Deployment's pod: `<name>-<pod-template hash>-<5 random characters>`, the hash 6 to 10 of those
 * characters (or of letters and digits, one a digit at least: never a word such as `exporter`).
 */
const REPLICASET_POD = new RegExp(`-(?:${K8S}{6,10}|(?=[a-z]*[0-9])[a-z0-9]{6,10})-[a-z0-9]{5}$`);
/** A DaemonSet's or Job's pod: `<name>-<5 random characters>` (never a vowel, so never a word). */
const GENERATED_POD = new RegExp(`-${K8S}{5}$`);

/**
 * Without pod objects, the workload of pod `<pod>.<ns>`: the pod name less one suffix, the first of its
 * ReplicaSet hash and random suffix (`web-7d4b9c8f6d-x7k2p`), a DaemonSet's or Job's random suffix
 * (`node-agent-x7k2p`), a StatefulSet ordinal (`redis-1`).
 */
export function workloadFromName(id: string): string {
  const dot = id.lastIndexOf('.');
  const name = dot > 0 ? id.slice(0, dot) : id;
  const ns = dot > 0 ? id.slice(dot + 1) : '';
  const suffix = [REPLICASET_POD, GENERATED_POD, /-\d+$/].find((re) => re.test(name));
  const base = suffix ? name.replace(suffix, '') : name;
  return `${ns}/${base}`;
}
