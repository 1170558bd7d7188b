/**
 * Semantic diff of two Envoy config dumps (two proxies, two points in time): which clusters, listeners,
 * routes, endpoints, secrets and extension configs exist on one side only or differ, and in which field
 * paths. xDS bookkeeping (version_info, last_updated, nonces) is ignored, snake_case and camelCase dumps
 * compare equal, and secret key material is redacted before comparing. Resources, and list elements that
 * all have distinct names, are matched by name whatever their order, except that the order of filters
 * and of a virtual host's routes (which Envoy runs and matches in list order) is a difference of its own.
 *
 * What one side cannot read (a damaged resource, list or section, or a missing section while the other
 * side has resources of that kind) is never a difference: a resource present only on the other side may
 * be the one that could not be read, so it is listed as not compared, and the problem is reported.
 */
import { DumpType, MissingSectionError, type ConfigDump, type DumpProblem, type Resource } from './dump.js';
import { exactText } from './exact-numbers.js';
import { isObj, str, typeUrl, type Obj } from './fields.js';
import { listenerAddress, listenerPort } from './listeners.js';
import { redactSecrets, toProtoJson } from './protojson.js';
import { mayHoldPrivateKey, redactPrivateKeys } from './certs.js';
import { ExitCode, MeshError } from '../util/errors.js';
import { escapeControl } from '../render/escape.js';
import { warn } from '../util/output.js';

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

/** A resource found on one side only while the other side's resources of its kind are not all readable. */
export interface NotCompared {
  kind: ResourceKind;
  name: string;
  /** The side it was found on. */
  side: 'a' | 'b';
}

/** What a side could not read, where it hides resources of the other side (or is damaged). */
export interface Unreadable {
  side: 'a' | 'b';
  kind: ResourceKind;
  /** The dump has no section of that kind (the other side has resources of it). */
  missing: boolean;
  error: string;
}

/**
 * A field that holds an Any mesh could not decode on one side (istiod's answer keeps it as type URL and
 * bytes) and decoded on the other (an Envoy dump expands every type it knows): same type, contents
 * not compared. Never a difference.
 */
export interface OpaqueField {
  kind: ResourceKind;
  name: string;
  path: string;
  /** The type URL both sides hold. */
  type: string;
}

export interface DumpDiff {
  a: string;
  b: string;
  /** No difference found (in what both sides could read: see `unreadable`). */
  same: boolean;
  /** Resources compared per kind (union of both sides, less those not compared). */
  compared: Record<ResourceKind, number>;
  differences: ResourceDiff[];
  /** Only when something could not be read. */
  unreadable?: Unreadable[];
  notCompared?: NotCompared[];
  /** Only when some field held a type mesh could not decode on one side. */
  opaque?: OpaqueField[];
}

export interface DiffOptions {
  /**
   * Problems of each side beyond those its dump noted itself (`ConfigDump.problems`): for dumps that
   * were rebuilt from what the original one could read (drift's normalised configs).
   */
  problems?: { a?: readonly DumpProblem[]; b?: readonly DumpProblem[] };
}

const KINDS: ResourceKind[] = ['cluster', 'listener', 'route', 'endpoint', 'secret', 'ecds'];
/** xDS bookkeeping fields, never a difference (drift's fingerprint leaves them out too). */
export const IGNORED_KEYS: ReadonlySet<string> = new Set([
  'versionInfo',
  'lastUpdated',
  'nonce',
  'responseNonce',
]);

const TYPE_OF: Record<ResourceKind, string> = {
  cluster: DumpType.clusters,
  listener: DumpType.listeners,
  route: DumpType.routes,
  endpoint: DumpType.endpoints,
  secret: DumpType.secrets,
  ecds: DumpType.ecds,
};
const KIND_OF: Record<string, ResourceKind> = {
  [DumpType.clusters]: 'cluster',
  [DumpType.listeners]: 'listener',
  [DumpType.routes]: 'route',
  [DumpType.endpoints]: 'endpoint',
  [DumpType.secrets]: 'secret',
  [DumpType.ecds]: 'ecds',
};

/** The kind of resources a dump problem is about, if any the diff compares. */
export function problemKind(p: DumpProblem): ResourceKind | undefined {
  return KIND_OF[p.type];
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

/**
 * The resources of a kind by name. A dump read strictly throws on the first problem: then nothing of the
 * kind is read, and the problem is noted as the lenient read would have.
 */
function keyed(kind: ResourceKind, dump: ConfigDump, problems: DumpProblem[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  let list: Named[] = [];
  try {
    list = SOURCES[kind](dump);
  } catch (err) {
    if (!(err instanceof MeshError && err.exitCode === ExitCode.DATA)) throw err;
    problems.push({ type: TYPE_OF[kind], missing: err instanceof MissingSectionError, error: err });
  }
  const key = duplicateKeys(out);
  for (const { name, value } of list) out.set(key(name), normalize(value));
  return out;
}

/**
 * How resources that share a name are told apart: the first keeps its name, the next ones get the first
 * of `<name> #2`, `<name> #3`, … not taken yet. Each name's count is kept, so 20,000 clusters of one
 * name take linear time, not quadratic (keys are only added, so a suffix found taken stays taken).
 */
export function duplicateKeys(taken: { has(key: string): boolean }): (name: string) => string {
  const next = new Map<string, number>();
  return (name) => {
    if (!taken.has(name)) return name;
    let n = next.get(name) ?? 2;
    let key = `${name} #${n}`;
    while (taken.has(key)) key = `${name} #${++n}`;
    next.set(name, n + 1);
    return key;
  };
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

/**
 * Lists whose order is behaviour: Envoy runs filters in list order (an EnvoyFilter inserting before
 * rather than after another filter changes what runs first) and takes a virtual host's first route that
 * matches (a VirtualService's http routes in another order send requests elsewhere), so beyond the
 * elements matched by name, the order of those both sides have is compared: `http_filters`, network
 * `filters` (a filter chain's, a cluster's), `listener_filters` and `routes`.
 */
const ORDERED_LISTS = /(?:^|\.)(?:httpFilters|filters|listenerFilters|routes)$/;

/** Whether a list at this path (as the diff writes paths) runs its named elements in order. */
export function orderedList(path: string): boolean {
  return ORDERED_LISTS.test(path);
}

/**
 * The order of the elements both lists have, when it differs: the smallest stretch that differs, as the
 * names in `a`'s order and in `b`'s (`…httpFilters (order): ["rbac","fault"] -> ["fault","rbac"]`).
 */
function orderChange(a: Map<string, unknown>, b: Map<string, unknown>, path: string, out: FieldDiff): void {
  const inA = [...a.keys()].filter((n) => b.has(n));
  const inB = [...b.keys()].filter((n) => a.has(n));
  let first = 0;
  while (first < inA.length && inA[first] === inB[first]) first++;
  if (first === inA.length) return;
  let last = inA.length - 1;
  while (inA[last] === inB[last]) last--;
  out.changes.push({
    path: `${path || '.'} (order)`,
    a: inA.slice(first, last + 1),
    b: inB.slice(first, last + 1),
  });
}

/** Elements are matched by `name` when every element on both sides has a distinct one. */
export function namedElements(list: unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const e of list) {
    const n = isObj(e) && typeof e.name === 'string' ? e.name : undefined;
    if (n === undefined || m.has(n)) return undefined;
    m.set(n, e);
  }
  return m;
}

/** What two resources' fields differ in, and which fields could not be compared. */
interface FieldDiff {
  changes: FieldChange[];
  opaque: Array<{ path: string; type: string }>;
}

/**
 * The type URL of an Any that protobufjs could not decode (its .proto is not loaded): it keeps the Any's
 * own fields, `{typeUrl, value}` (bytes as base64), where a decoded one is `{"@type": …, …fields}`.
 */
function undecodedAny(v: unknown): string | undefined {
  if (!isObj(v) || '@type' in v || typeof v.typeUrl !== 'string') return undefined;
  return Object.keys(v).every((k) => k === 'typeUrl' || k === 'value') ? v.typeUrl : undefined;
}

/**
 * One side's Any undecoded and the other's decoded, of the same type: the bytes cannot be compared with
 * the fields (returns true: not compared). Of different types they differ as any two values do.
 */
function opaquePair(a: unknown, b: unknown, path: string, out: FieldDiff): boolean {
  const rawA = undecodedAny(a);
  const rawB = undecodedAny(b);
  if ((rawA === undefined) === (rawB === undefined)) return false;
  const type = rawA ?? rawB!;
  if (type !== typeUrl(rawA === undefined ? a : b)) return false;
  out.opaque.push({ path: path || '.', type });
  return true;
}

function diffValues(a: unknown, b: unknown, path: string, out: FieldDiff): void {
  if (a === b || opaquePair(a, b, path, out)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const an = namedElements(a);
    const bn = namedElements(b);
    if (an && bn && (an.size > 0 || bn.size > 0)) {
      for (const [n, x] of an) diffValues(x, bn.get(n), `${path}[name=${n}]`, out);
      for (const [n, y] of bn) if (!an.has(n)) diffValues(undefined, y, `${path}[name=${n}]`, out);
      if (orderedList(path)) orderChange(an, bn, path, out);
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
  const [textA, textB] = [JSON.stringify(a), JSON.stringify(b)];
  if (textA === textB) return;
  const change: FieldChange = { path: path || '.' };
  // copied only when its text may hold a key
  if (a !== undefined) change.a = mayHoldPrivateKey(textA ?? '') ? withoutKeys(a) : a;
  if (b !== undefined) change.b = mayHoldPrivateKey(textB ?? '') ? withoutKeys(b) : b;
  out.changes.push(change);
}

/**
 * A differing value as it may be shown: private key PEM blocks (in a certificate chain, where Envoy does
 * not redact them; in text or base64) read `[redacted]`. A dump read from text has them redacted already;
 * one built in memory (istiod's side of `proxy-status`) may not.
 */
function withoutKeys(v: unknown): unknown {
  if (typeof v === 'string') return redactPrivateKeys(v);
  if (Array.isArray(v)) return v.map(withoutKeys);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) out[k] = withoutKeys(x);
  return out;
}

export function diffDumps(
  a: ConfigDump,
  b: ConfigDump,
  labels: { a: string; b: string },
  opts: DiffOptions = {},
): DumpDiff {
  const differences: ResourceDiff[] = [];
  const notCompared: NotCompared[] = [];
  const unreadable: Unreadable[] = [];
  const opaque: OpaqueField[] = [];
  const compared = {} as Record<ResourceKind, number>;
  const noted = { a: [] as DumpProblem[], b: [] as DumpProblem[] };
  for (const kind of KINDS) {
    const ka = keyed(kind, a, noted.a);
    const kb = keyed(kind, b, noted.b);
    // what each side could not read of this kind: a damaged part always, a missing section only when
    // the other side has resources it would hide
    const blind = (side: 'a' | 'b', dump: ConfigDump, other: Map<string, unknown>) => {
      const all = [...dump.problems, ...(opts.problems?.[side] ?? []), ...noted[side]];
      const seen = new Set<string>();
      for (const p of all) {
        if (problemKind(p) !== kind || (p.missing && other.size === 0) || seen.has(p.error.message)) continue;
        seen.add(p.error.message);
        unreadable.push({ side, kind, missing: p.missing, error: p.error.message });
      }
      return seen.size > 0;
    };
    const blindA = blind('a', a, kb);
    const blindB = blind('b', b, ka);
    const names = [...new Set([...ka.keys(), ...kb.keys()])].sort();
    compared[kind] = 0;
    for (const name of names) {
      const side = !kb.has(name) ? 'a' : !ka.has(name) ? 'b' : undefined;
      if (side && (side === 'a' ? blindB : blindA)) {
        notCompared.push({ kind, name, side });
        continue;
      }
      compared[kind]++;
      if (side) {
        differences.push({ kind, name, status: side === 'a' ? 'only-in-a' : 'only-in-b' });
        continue;
      }
      const fields: FieldDiff = { changes: [], opaque: [] };
      diffValues(ka.get(name), kb.get(name), '', fields);
      if (fields.changes.length > 0)
        differences.push({ kind, name, status: 'changed', fields: fields.changes });
      // a loop, not push(...): a resource may have more such fields than a call takes arguments
      for (const f of fields.opaque) opaque.push({ kind, name, ...f });
    }
  }
  const d: DumpDiff = { a: labels.a, b: labels.b, same: differences.length === 0, compared, differences };
  if (unreadable.length > 0) d.unreadable = unreadable;
  if (notCompared.length > 0) d.notCompared = notCompared;
  if (opaque.length > 0) d.opaque = opaque;
  return d;
}

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = exactText(v) ?? JSON.stringify(v);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

const count = (n: number, kind: ResourceKind) => `${n} ${kind}${n === 1 ? '' : 's'}`;

/** Why the other side of a resource found on one side only could not say whether it has it. */
function whyNotCompared(d: DumpDiff, x: NotCompared): string {
  const side = x.side === 'a' ? 'b' : 'a';
  const label = side === 'a' ? d.a : d.b;
  const problems = (d.unreadable ?? []).filter((u) => u.side === side && u.kind === x.kind);
  if (problems.length > 0 && problems.every((u) => u.missing))
    return `${label} has no ${TYPE_OF[x.kind].replace(/.*\./, '')} section`;
  return `not every ${x.kind} of ${label} could be read`;
}

/**
 * One line per type that fields held undecoded on one side: how many fields were not compared, and the
 * first of them.
 */
function opaqueLines(d: DumpDiff): string[] {
  const byType = new Map<string, OpaqueField[]>();
  for (const f of d.opaque ?? []) {
    const fields = byType.get(f.type);
    if (fields) fields.push(f);
    else byType.set(f.type, [f]);
  }
  return [...byType].map(([type, fields]) => {
    const n = fields.length;
    const first = fields[0]!;
    const where = `${first.kind} ${first.name}: ${first.path}`;
    const which = n === 1 ? `field not compared (${where})` : `fields not compared (first: ${where})`;
    return `? ${n} ${which}: it holds ${type}, which mesh cannot decode`;
  });
}

/**
 * Human-readable report: one line per resource, indented field changes below changed ones; resources and
 * fields not compared (`?`) after them. Names and values come from the dumps: each control character is
 * written as an escape, so none acts on the terminal and no line break forges a line.
 */
export function renderDiffText(d: DumpDiff): string {
  return [...diffTextLines(d)].join('');
}

/**
 * `renderDiffText`'s text line by line (each ending in a line break), for a report that may be longer than
 * a JavaScript string can be (≈ 512 MiB: two dumps of 300 MB whose every route differs make 600 MB).
 */
export function* diffTextLines(d: DumpDiff): Generator<string> {
  const totals = KINDS.filter((k) => d.compared[k] > 0)
    .map((k) => count(d.compared[k], k))
    .join(', ');
  const skipped = KINDS.map((k) => [k, (d.notCompared ?? []).filter((x) => x.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => count(n, k));
  const summary = `compared ${totals || 'no resources'}${skipped.length > 0 ? `; ${skipped.join(', ')} not compared` : ''}`;
  const line = (text: string) => `${escapeControl(text)}\n`;
  function* notCompared(): Generator<string> {
    for (const x of d.notCompared ?? [])
      yield line(
        `? ${x.kind} ${x.name}: only in ${x.side === 'a' ? d.a : d.b}, not compared (${whyNotCompared(d, x)})`,
      );
    for (const text of opaqueLines(d)) yield line(text);
  }
  if (d.same) {
    const partly = d.unreadable?.length
      ? ' in what both could read'
      : d.opaque
        ? ' in what mesh could decode'
        : '';
    yield line(`No differences between ${d.a} and ${d.b}${partly} (${summary}).`);
    yield* notCompared();
    return;
  }
  yield line(`--- ${d.a}`);
  yield line(`+++ ${d.b}`);
  for (const r of d.differences) {
    if (r.status === 'only-in-a') yield line(`- ${r.kind} ${r.name}: only in ${d.a}`);
    else if (r.status === 'only-in-b') yield line(`+ ${r.kind} ${r.name}: only in ${d.b}`);
    else {
      const n = r.fields!.length;
      yield line(`~ ${r.kind} ${r.name}: ${n} field${n === 1 ? ' differs' : 's differ'}`);
      for (const f of r.fields!) yield line(`    ${f.path}: ${show(f.a)} -> ${show(f.b)}`);
    }
  }
  yield* notCompared();
  yield line(`${d.differences.length} difference${d.differences.length === 1 ? '' : 's'} (${summary}).`);
}

/**
 * `proxy-config diff` past its sources: the two dumps compared (what a side cannot read is left out of the
 * comparison and reported, never a difference), the report written to stdout, and the exit code.
 */
export async function writeProxyConfigDiff(
  dumps: readonly ConfigDump[],
  labels: readonly string[],
  format: 'short' | 'json',
): Promise<number> {
  const { jsonChunks, writeChunks } = await import('../render/chunks.js');
  for (const dump of dumps) dump.readLeniently();
  const d = diffDumps(dumps[0]!, dumps[1]!, { a: labels[0]!, b: labels[1]! });
  // in pieces: two large dumps that differ everywhere make more text than a JavaScript string holds
  await writeChunks(
    format === 'json'
      ? jsonChunks({ apiVersion: 'mesh/v1', kind: 'ProxyConfigDiff', ...d })
      : diffTextLines(d),
  );
  for (const u of d.unreadable ?? []) warn(`Error: ${u.error}`);
  // a difference found (79) outranks a part that could not be read (65)
  return !d.same ? ExitCode.FINDINGS : d.unreadable ? ExitCode.DATA : ExitCode.OK;
}
