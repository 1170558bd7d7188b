import type { DocSource, Resource } from '../manifests/types.js';
import { messageType } from './messages.js';
import { ALL_ANALYZERS } from './registry.js';
import { Snapshot, type SnapshotOptions } from './snapshot.js';
import { suppressedByAnnotation, suppressedByRule, type SuppressRule } from './suppress.js';
import { isExternal, type ExternalPattern } from './external.js';
import {
  ANY_KIND,
  LEVEL_RANK,
  WORKLOAD_INPUTS,
  type AnalysisContext,
  type Analyzer,
  type Finding,
} from './types.js';

export interface RunOptions extends SnapshotOptions {
  /** Only report findings on this namespace (and cluster-scoped objects); undefined reports all. */
  reportNamespace: string | undefined;
  /** Analyzer names to run; empty = all. */
  analyzers?: readonly Analyzer[];
  suppress?: readonly SuppressRule[];
  /** Objects declared to exist outside the inputs (`--external`). */
  external?: readonly ExternalPattern[];
  /**
   * Kinds that could not be read (kind key, or `<group>/*` for every kind of an API group → reason):
   * analyzers reading them are skipped.
   */
  unreadable?: ReadonlyMap<string, string>;
  /** The inputs are a whole cluster: a kind with no objects there has none, so nothing is skipped for it. */
  complete?: boolean;
}

export interface RunResult {
  findings: Finding[];
  /** Findings left out because they are on objects outside --namespace. */
  hiddenByNamespace: number;
  suppressed: number;
  executed: string[];
  /** Milliseconds each executed analyzer took (same order as `executed`). */
  timings: number[];
  /** `unreadable`: skipped because a kind it reads could not be read (from the cluster). */
  skipped: Array<{ name: string; reason: string; unreadable?: boolean }>;
  snapshot: Snapshot;
}

/**
 * The code the runner reports an analyzer's failure with (istioctl's InternalError): no analyzer declares
 * it in its `codes` for that, since any analyzer may fail.
 */
export const ANALYZER_FAILURE = 'IST0001';

/** `Kind ns/name` for namespaced objects, `Kind name` otherwise (istioctl's origin string). */
export function originOf(r: Resource): string {
  let origin = origins.get(r);
  if (origin === undefined) {
    origin = r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
    origins.set(r, origin);
  }
  return origin;
}

/** Each object's origin is one string, however many findings name it (a million findings may name a few). */
const origins = new WeakMap<Resource, string>();

export function runAnalyzers(resources: readonly Resource[], opts: RunOptions): RunResult {
  const snapshot = new Snapshot(resources, opts);
  const selected = opts.analyzers && opts.analyzers.length > 0 ? opts.analyzers : ALL_ANALYZERS;
  const raw: Finding[] = [];
  const executed: string[] = [];
  const timings: number[] = [];
  const skipped: RunResult['skipped'] = [];
  for (const analyzer of selected) {
    // each reason once: several inputs may share one (the same kind twice, the kinds of one group)
    const reasons = new Set(analyzer.inputs.flatMap((k) => unreadableReason(opts.unreadable, k) ?? []));
    if (reasons.size > 0) {
      skipped.push({ name: analyzer.name, reason: [...reasons].join(', '), unreadable: true });
      continue;
    }
    const missing = opts.complete ? [] : (analyzer.requires ?? []).filter((k) => !snapshot.has(k));
    if (missing.length > 0) {
      skipped.push({
        name: analyzer.name,
        reason: `no ${missing.map((k) => k.split('/')[1]).join(', ')} in the inputs`,
      });
      continue;
    }
    executed.push(analyzer.name);
    const started = process.hrtime.bigint();
    const before = raw.length;
    try {
      analyzer.analyze(contextFor(snapshot, analyzer, opts, raw));
    } catch (err) {
      raw.length = before; // what the failed run reported may be incomplete
      contain(analyzer, snapshot, resources, opts, raw, err);
    }
    timings.push(Number(process.hrtime.bigint() - started) / 1e6);
  }

  let hiddenByNamespace = 0;
  let suppressed = 0;
  const kept: Finding[] = [];
  for (const f of raw) {
    if (opts.reportNamespace !== undefined && f.resource) {
      const ns = f.resource.key === 'core/Namespace' ? f.resource.name : f.resource.namespace;
      if (ns !== undefined && ns !== opts.reportNamespace) {
        hiddenByNamespace++;
        continue;
      }
    }
    if (suppressedByAnnotation(f) || suppressedByRule(f, opts.suppress ?? [])) {
      suppressed++;
      continue;
    }
    kept.push(f);
  }
  return {
    findings: sortAndDedupe(kept),
    hiddenByNamespace,
    suppressed,
    executed,
    timings,
    skipped,
    snapshot,
  };
}

/** Why a kind could not be read: its own entry, or its API group's (`<group>/*`). */
function unreadableReason(
  unreadable: ReadonlyMap<string, string> | undefined,
  key: string,
): string | undefined {
  return unreadable?.get(key) ?? unreadable?.get(key.replace(/\/[^/]*$/, '/*'));
}

function contextFor(
  snapshot: Snapshot,
  analyzer: Analyzer,
  opts: RunOptions,
  sink: Finding[],
): AnalysisContext {
  const read = inputGuard(analyzer);
  const emit = codeGuard(analyzer);
  const ctx: AnalysisContext = {
    each: (k) => (read(k), snapshot.each(k)),
    get: (k, ns, n) => (read(k), snapshot.get(k, ns, n)),
    eachIn: (k, ns) => (read(k), snapshot.eachIn(k, ns)),
    workloads: () => (WORKLOAD_INPUTS.forEach(read), snapshot.workloads()),
    workloadsIn: (ns) => (WORKLOAD_INPUTS.forEach(read), snapshot.workloadsIn(ns)),
    selectable: () => (
      WORKLOAD_INPUTS.forEach(read),
      opts.complete ? snapshot.running() : snapshot.workloads()
    ),
    selectableIn: (ns) => (
      WORKLOAD_INPUTS.forEach(read),
      opts.complete ? snapshot.runningIn(ns) : snapshot.workloadsIn(ns)
    ),
    shared: (build) => snapshot.shared(build, ctx),
    has: (k) => (read(k), snapshot.has(k)),
    all: () => (read(ANY_KIND), snapshot.all()),
    meshConfig: opts.meshConfig,
    meshNetworks: opts.meshNetworks,
    istioNamespace: opts.istioNamespace,
    complete: Boolean(opts.complete),
    external: (kind, ns, name) => isExternal(opts.external ?? [], kind, ns, name),
    report(code, resource, args = [], ropts = {}) {
      emit(code);
      sink.push(findingOf(analyzer, code, resource, args, ropts.path));
    },
  };
  return ctx;
}

/** An analyzer broke its own metadata: a bug in the analyzer, not in any document. */
class Undeclared extends Error {}

/** An analyzer read a kind its `inputs` do not declare. */
class UndeclaredInput extends Undeclared {}

/** An analyzer reported a code its `codes` do not declare. */
class UndeclaredCode extends Undeclared {}

/**
 * A check that an analyzer reads only kinds its `inputs` declare (what the runner decides skips by). Reading
 * another kind throws, so the analyzer fails with IST0001 naming the kind, in every run and every test.
 */
function inputGuard(analyzer: Analyzer): (key: string) => void {
  const declared = new Set(analyzer.inputs);
  if (declared.has(ANY_KIND)) return () => {};
  return (key) => {
    if (!declared.has(key))
      throw new UndeclaredInput(
        `it reads ${key}, which its inputs do not declare (a bug in mesh, please report it)`,
      );
  };
}

/**
 * A check that an analyzer reports only codes its `codes` declare (what the docs pages and
 * `--list-analyzers` say it reports). Reporting another throws, so the analyzer fails with IST0001 naming
 * the code, as for an undeclared read. The runner's own IST0001 for a failed analyzer (`contain`) does not
 * pass through here: no analyzer declares that it may fail.
 */
function codeGuard(analyzer: Analyzer): (code: string) => void {
  const declared = new Set(analyzer.codes);
  return (code) => {
    if (!declared.has(code))
      throw new UndeclaredCode(
        `it reports ${code}, which its codes do not declare (a bug in mesh, please report it)`,
      );
  };
}

function findingOf(
  analyzer: Analyzer,
  code: string,
  resource: Resource | undefined,
  args: unknown[],
  path?: string,
): Finding {
  const mt = messageType(code);
  return {
    code,
    level: mt.level,
    message: mt.format(...args),
    analyzer: analyzer.name,
    resource,
    origin: resource ? originOf(resource) : undefined,
    path,
    // set later (by a multi-cluster analysis, `locateFindings`): given a place now, a finding stays one
    // compact object instead of growing a second store for them
    cluster: undefined,
    file: undefined,
    line: undefined,
    column: undefined,
  };
}

function failureText(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

/**
 * An analyzer threw: the documents it fails on by themselves are reported (IST0001 on each, so the
 * message names its file and line) and left out, and the analyzer runs again on the others, so one bad
 * document never hides the findings on the rest. Only when no single document explains the failure is
 * the analyzer reported as failed for the whole run.
 */
function contain(
  analyzer: Analyzer,
  snapshot: Snapshot,
  resources: readonly Resource[],
  opts: RunOptions,
  sink: Finding[],
  err: unknown,
): void {
  const failed = (e: unknown) =>
    sink.push(
      findingOf(analyzer, ANALYZER_FAILURE, undefined, [
        `analyzer ${analyzer.name} failed: ${failureText(e)}`,
      ]),
    );
  // no document is to blame for an undeclared read or code
  if (err instanceof Undeclared) {
    failed(err);
    return;
  }
  const candidates = analyzer.inputs.includes(ANY_KIND)
    ? snapshot.all()
    : analyzer.inputs.flatMap((k) => snapshot.each(k));
  const culprits = new Set<Resource['origin']>();
  const discard: Finding[] = [];
  for (const r of candidates) {
    if (r.origin.docIndex < 0) continue; // added by mesh, not read from a file
    try {
      analyzer.analyze(contextFor(new Snapshot([r], opts), analyzer, opts, discard));
    } catch (alone) {
      culprits.add(r.origin);
      sink.push(
        findingOf(analyzer, ANALYZER_FAILURE, r, [
          `analyzer ${analyzer.name} failed on this resource and left it out: ${failureText(alone)}`,
        ]),
      );
    }
    discard.length = 0;
  }
  if (culprits.size === 0) {
    failed(err);
    return;
  }
  const before = sink.length;
  try {
    const rest = resources.filter((r) => !culprits.has(r.origin));
    analyzer.analyze(contextFor(new Snapshot(rest, opts), analyzer, opts, sink));
  } catch (again) {
    sink.length = before;
    failed(again);
  }
}

function resourceSortKey(r: Resource | undefined): string {
  if (!r) return '';
  let key = sortKeys.get(r);
  if (key === undefined) sortKeys.set(r, (key = `${r.kind}/${r.name}/${r.namespace ?? ''}`));
  return key;
}

/** One sort key per object, not per finding. */
const sortKeys = new WeakMap<Resource, string>();

/** istioctl's order: level, code, resource-less first, Kind/name/namespace, then text; exact repeats collapse. */
export function sortAndDedupe(findings: Finding[]): Finding[] {
  // Each finding's sort key is built once, not on every comparison.
  const keyed = findings.map((f) => ({
    f,
    rank: LEVEL_RANK[f.level],
    resourceKey: resourceSortKey(f.resource),
  }));
  keyed.sort(
    (a, b) =>
      a.rank - b.rank ||
      cmp(a.f.code, b.f.code) ||
      Number(a.f.resource !== undefined) - Number(b.f.resource !== undefined) ||
      cmp(a.resourceKey, b.resourceKey) ||
      cmp(a.f.message, b.f.message) ||
      cmp(a.f.path ?? '', b.f.path ?? ''),
  );
  // Exact repeats share every sort field, so they are in one run of equal fields: only the file (and
  // origin) is left to compare, against the run's findings kept so far.
  const out: Finding[] = [];
  let run = 0;
  for (let i = 0; i < keyed.length; i++) {
    const { f } = keyed[i]!;
    const prev = keyed[i - 1];
    if (
      prev &&
      prev.rank === keyed[i]!.rank &&
      prev.resourceKey === keyed[i]!.resourceKey &&
      sameText(prev.f, f)
    ) {
      let repeat = false;
      for (let k = run; k < out.length && !repeat; k++)
        repeat = out[k]!.origin === f.origin && sameSource(out[k]!.resource, f.resource);
      if (repeat) continue;
    } else {
      run = out.length;
    }
    out.push(f);
  }
  return out;
}

/** The same file, and the same cluster: same-named objects of two clusters are two objects. */
function sameSource(a: Resource | undefined, b: Resource | undefined): boolean {
  return a?.origin.file === b?.origin.file && a?.origin.clusterName === b?.origin.clusterName;
}

/** Same code, resource presence, message and path. */
function sameText(a: Finding, b: Finding): boolean {
  return (
    a.code === b.code &&
    (a.resource === undefined) === (b.resource === undefined) &&
    a.message === b.message &&
    (a.path ?? '') === (b.path ?? '')
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Fills file/line/column of each finding: the field's own line when a path is known, else the document's.
 * Findings are located document by document, and each document's position index is dropped once its
 * findings have their lines (it is only needed here).
 */
export async function locateFindings(findings: Finding[]): Promise<void> {
  const needs = findings.some(
    (f) => f.resource?.source && (f.path || f.resource.origin.listIndex !== undefined),
  );
  const positions = needs ? await import('../manifests/positions.js') : undefined;
  // The items of a `kind: List` are located together: they share one position index.
  const bySource = new Map<DocSource | undefined, { source?: DocSource; group: Finding[] }>();
  for (const f of findings) {
    const source = f.resource?.source;
    const owner = source?.list ?? source;
    const entry = bySource.get(owner);
    if (entry) entry.group.push(f);
    else bySource.set(owner, { source, group: [f] });
  }
  for (const { source, group } of bySource.values()) {
    for (const f of group) {
      const r = f.resource;
      if (!r || !r.origin.file) continue;
      f.file = r.origin.file;
      f.line = r.origin.line;
      f.column = r.origin.column;
      if (positions && r.source && (f.path || r.origin.listIndex !== undefined)) {
        const pos = positions.positionOf(r, f.path ?? '');
        if (pos) {
          f.line = pos.line;
          f.column = pos.column;
        }
      }
    }
    if (positions && source) positions.forgetPositions(source);
  }
}
