/**
 * Drift between proxies that should be identical: replicas of one workload. Each proxy's config is
 * normalised (dynamic clusters, listeners and routes only; versions and timestamps dropped by the diff
 * engine; the pod's own name and IPs replaced by placeholders; certificates left out), the replicas of a
 * workload are grouped by identical config, the largest group is taken as the workload's config, and
 * every other replica is reported with a semantic diff against it. Root certificates are compared on
 * their own. Pure: the command gathers the dumps.
 */
import { createHash } from 'node:crypto';
import { diffDumps, type DumpDiff } from '../envoy/diff.js';
import { ConfigDump, type DumpProblem } from '../envoy/dump.js';
import { isObj, type Obj } from '../envoy/fields.js';
import { toProtoJson } from '../envoy/protojson.js';
import { escapeControl } from '../render/escape.js';
import { dynamicConfig } from '../proxy-status/compare.js';

export interface ProxyConfig {
  /** `<pod>.<namespace>`. */
  id: string;
  /** What the proxy is a replica of, e.g. `shop/Deployment/catalog`. */
  workload: string;
  dump: ConfigDump;
  /** Strings that are this pod's own (name, IPs), replaced before comparing. */
  podSpecific: string[];
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

function replaceAll(v: unknown, subs: Array<[string, string]>): unknown {
  if (typeof v === 'string') {
    let s = v;
    for (const [from, to] of subs) if (from !== '' && s.includes(from)) s = s.split(from).join(to);
    return s;
  }
  if (Array.isArray(v)) return v.map((x) => replaceAll(x, subs));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[replaceAll(k, subs) as string] = replaceAll(x, subs);
  return out;
}

/** The comparable form of a proxy's config: dynamic resources, placeholders for the pod's own strings. */
export function normalise(p: ProxyConfig): ConfigDump {
  const dynamic = dynamicConfig(p.dump);
  // longest first, so an IP that contains another (10.0.0.1 / 10.0.0.12) is replaced whole
  const subs = [...new Set(p.podSpecific)]
    .sort((a, b) => b.length - a.length)
    .map((s, i): [string, string] => [s, `<pod-${i}>`]);
  return new ConfigDump(replaceAll(dynamic.root, subs) as Obj);
}

const VOLATILE = new Set(['versionInfo', 'lastUpdated']);
function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) if (!VOLATILE.has(k)) out[k] = stable(v[k]);
  return out;
}

/** A fingerprint of the normalised config: equal fingerprints, equal config. */
function fingerprint(d: ConfigDump): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(toProtoJson(d.root))))
    .digest('hex');
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
    const normalised = new Map(members.map((m) => [m.id, normalise(m)]));
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
        // a difference in what both could read, not only a resource one side could not read
        if (!diff.same || !diff.unreadable) d.configDiff = diff;
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

function indented(text: string): string[] {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`);
}

/** Human-readable: one line per workload, then each drifted replica with its semantic diff. */
export function renderDriftText(r: DriftReport, renderDiff: (d: DumpDiff) => string): string {
  const lines: string[] = [];
  for (const w of r.workloads) {
    const n = w.replicas.length;
    if (w.drifted.length === 0) {
      const partly = w.incomplete ? ' in what could be read' : '';
      lines.push(`${w.workload}: ${n} replica${n === 1 ? '' : 's'}, no drift${partly}`);
      continue;
    }
    lines.push(`${w.workload}: ${w.drifted.length} of ${n} replicas drifted`);
    for (const d of w.drifted) {
      if (d.rootsDiffer) lines.push(`  ${d.id}: trusts other root certificates than ${d.comparedWith}`);
      if (d.configDiff) lines.push(...indented(renderDiff(d.configDiff)));
    }
  }
  if (r.controlPlane?.length === 0) lines.push('no proxy is connected to the control plane');
  for (const c of r.controlPlane ?? []) {
    const n = c.replicas.length;
    if (n < 2 && c.ambiguous) {
      const serve = c.ambiguous.length === 1 ? 'serves' : 'serve';
      const one = n === 1 ? `, ${c.replicas[0]} one` : '';
      lines.push(
        `${c.proxy}: ${c.ambiguous.join(', ')} ${serve} several proxies with this node id${one}: nothing to compare`,
      );
      continue;
    }
    if (n < 2) {
      const from = n === 0 ? 'no control-plane replica has config for it' : `only ${c.replicas[0]} serves it`;
      lines.push(`${c.proxy}: ${from}, nothing to compare`);
      continue;
    }
    if (c.drifted.length === 0) {
      lines.push(`${c.proxy}: ${n} control-plane replicas agree (${c.replicas.join(', ')})`);
      continue;
    }
    for (const d of c.drifted) {
      lines.push(`${c.proxy}: ${d.replica} would send other config than ${d.comparedWith}`);
      lines.push(...indented(renderDiff(d.configDiff)));
    }
  }
  // Proxies that could not be read are the command's errors (stderr), not lines of the report. Nothing
  // matched (an empty namespace, a context namespace that does not exist): no report at all; the command
  // says so on stderr, as certs (and kubectl's "No resources found") do. Names come from the cluster and
  // the dumps: a control character in one would act on the terminal, a line break forge a line.
  return lines.length === 0 ? '' : lines.map(escapeControl).join('\n') + '\n';
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

/** Without pod objects: the name with a StatefulSet ordinal or ReplicaSet hash suffix removed. */
export function workloadFromName(id: string): string {
  const dot = id.lastIndexOf('.');
  const name = dot > 0 ? id.slice(0, dot) : id;
  const ns = dot > 0 ? id.slice(dot + 1) : '';
  const base = name.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '').replace(/-\d+$/, '');
  return `${ns}/${base}`;
}
