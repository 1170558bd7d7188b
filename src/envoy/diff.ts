/**
 * Semantic diff of two Envoy config dumps (two proxies, two points in time): which clusters, listeners,
 * routes, endpoints, secrets and extension configs exist on one side only or differ, and in which field
 * paths. xDS bookkeeping (version_info, last_updated, nonces) is ignored, snake_case and camelCase dumps
 * compare equal, and secret key material is redacted before comparing.
 */
import type { ConfigDump, Resource } from './dump.js';
import { isObj, str, typeUrl, type Obj } from './fields.js';
import { listenerAddress, listenerPort } from './listeners.js';
import { redactSecrets, toProtoJson } from './protojson.js';

export type ResourceKind = 'cluster' | 'listener' | 'route' | 'endpoint' | 'secret' | 'ecds';

export interface FieldChange {
  path: string;
  /** Absent on that side when undefined. */
  a?: unknown;
  b?: unknown;
}

export interface ResourceDiff {
  kind: ResourceKind;
  name: string;
  status: 'only-in-a' | 'only-in-b' | 'changed';
  fields?: FieldChange[];
}

export interface DumpDiff {
  a: string;
  b: string;
  same: boolean;
  /** Resources compared per kind (union of both sides). */
  compared: Record<ResourceKind, number>;
  differences: ResourceDiff[];
}

const KINDS: ResourceKind[] = ['cluster', 'listener', 'route', 'endpoint', 'secret', 'ecds'];
const IGNORED_KEYS = new Set(['versionInfo', 'lastUpdated', 'nonce', 'responseNonce']);

/** A dump section that is absent yields nothing to compare rather than an error. */
function tryList<T>(get: () => T[]): T[] {
  try {
    return get();
  } catch {
    return [];
  }
}

type Named = { name: string; value: unknown };
const byName = (list: Resource[], name: (v: Obj) => string): Named[] =>
  list.map((r) => ({ name: name(r.value), value: r.value }));

/** Where each kind comes from and what names it. */
const SOURCES: Record<ResourceKind, (d: ConfigDump) => Named[]> = {
  cluster: (d) => byName(d.clusters(), (v) => str(v, 'name')),
  listener: (d) => byName(d.listeners(), (v) => str(v, 'name') || `${listenerAddress(v)}:${listenerPort(v)}`),
  route: (d) => byName(d.routes(), (v) => str(v, 'name')),
  endpoint: (d) => byName(d.endpoints(), (v) => str(v, 'cluster_name')),
  secret: (d) => d.secrets().map((s) => ({ name: `${s.name} (${s.state})`, value: s.value })),
  ecds: (d) => byName(d.ecdsFilters(), (v) => str(v, 'name')),
};

function keyed(kind: ResourceKind, dump: ConfigDump): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const { name, value } of tryList(() => SOURCES[kind](dump))) {
    let key = name;
    for (let n = 2; out.has(key); n++) key = `${name} #${n}`;
    out.set(key, normalize(value));
  }
  return out;
}

/** camelCase field names, secrets redacted, bookkeeping keys dropped. */
function normalize(value: unknown): unknown {
  return strip(toProtoJson(redactSecrets(value)));
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!IGNORED_KEYS.has(k)) out[k] = strip(x);
  return out;
}

function segment(key: string): string {
  return /^[A-Za-z_$@][\w$@]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function join(path: string, seg: string): string {
  return path === '' && seg.startsWith('.') ? seg.slice(1) : path + seg;
}

/** Elements are matched by `name` when every element on both sides has a distinct one. */
function namedElements(list: unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const e of list) {
    const n = isObj(e) && typeof e.name === 'string' ? e.name : undefined;
    if (n === undefined || m.has(n)) return undefined;
    m.set(n, e);
  }
  return m;
}

function diffValues(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const an = namedElements(a);
    const bn = namedElements(b);
    if (an && bn && (an.size > 0 || bn.size > 0)) {
      for (const [n, x] of an) diffValues(x, bn.get(n), `${path}[name=${n}]`, out);
      for (const [n, y] of bn) if (!an.has(n)) diffValues(undefined, y, `${path}[name=${n}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObj(a) && isObj(b) && typeUrl(a) === typeUrl(b)) {
    for (const k of Object.keys(a)) diffValues(a[k], b[k], join(path, segment(k)), out);
    for (const k of Object.keys(b)) if (!(k in a)) diffValues(undefined, b[k], join(path, segment(k)), out);
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const change: FieldChange = { path: path || '.' };
  if (a !== undefined) change.a = a;
  if (b !== undefined) change.b = b;
  out.push(change);
}

export function diffDumps(a: ConfigDump, b: ConfigDump, labels: { a: string; b: string }): DumpDiff {
  const differences: ResourceDiff[] = [];
  const compared = {} as Record<ResourceKind, number>;
  for (const kind of KINDS) {
    const ka = keyed(kind, a);
    const kb = keyed(kind, b);
    const names = [...new Set([...ka.keys(), ...kb.keys()])].sort();
    compared[kind] = names.length;
    for (const name of names) {
      if (!kb.has(name)) differences.push({ kind, name, status: 'only-in-a' });
      else if (!ka.has(name)) differences.push({ kind, name, status: 'only-in-b' });
      else {
        const fields: FieldChange[] = [];
        diffValues(ka.get(name), kb.get(name), '', fields);
        if (fields.length > 0) differences.push({ kind, name, status: 'changed', fields });
      }
    }
  }
  return { a: labels.a, b: labels.b, same: differences.length === 0, compared, differences };
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** Human-readable report: one line per resource, indented field changes below changed ones. */
export function renderDiffText(d: DumpDiff): string {
  const totals = KINDS.filter((k) => d.compared[k] > 0)
    .map((k) => `${d.compared[k]} ${k}${d.compared[k] === 1 ? '' : 's'}`)
    .join(', ');
  if (d.same) return `No differences between ${d.a} and ${d.b} (compared ${totals || 'no resources'}).\n`;
  const lines: string[] = [`--- ${d.a}`, `+++ ${d.b}`];
  for (const r of d.differences) {
    if (r.status === 'only-in-a') lines.push(`- ${r.kind} ${r.name}: only in ${d.a}`);
    else if (r.status === 'only-in-b') lines.push(`+ ${r.kind} ${r.name}: only in ${d.b}`);
    else {
      const n = r.fields!.length;
      lines.push(`~ ${r.kind} ${r.name}: ${n} field${n === 1 ? ' differs' : 's differ'}`);
      for (const f of r.fields!) lines.push(`    ${f.path}: ${show(f.a)} -> ${show(f.b)}`);
    }
  }
  lines.push(
    `${d.differences.length} difference${d.differences.length === 1 ? '' : 's'} (compared ${totals}).`,
  );
  return lines.join('\n') + '\n';
}
