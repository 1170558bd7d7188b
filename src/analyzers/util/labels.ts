/**
 * Label selectors and "is this workload in the mesh" rules shared by analyzers.
 *
 * Selectors come in two shapes: a plain label map (Istio `workloadSelector.labels`, `selector.matchLabels`,
 * a Service `spec.selector`) and a Kubernetes LabelSelector (`matchLabels` + `matchExpressions`, used by
 * webhooks). Both treat an empty selector as "matches everything"; callers decide what a missing selector
 * means for them.
 */
import type { Resource } from '../../manifests/types.js';
import { text } from '../schema/rules/common.js';
import { K, type AnalysisContext, type Workload } from '../types.js';

export type Labels = Readonly<Record<string, string>>;

export const ISTIO_PROXY = 'istio-proxy';
export const INJECTION_LABEL = 'istio-injection';
export const REVISION_LABEL = 'istio.io/rev';
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
export const AMBIENT_REDIRECTION = 'ambient.istio.io/redirection';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A label value as a string (null counts as ''). */
function labelString(x: unknown): string {
  if (typeof x === 'string') return x;
  return x === null || x === undefined ? '' : text(x);
}

/** A label map as strings (non-maps give an empty map). */
export function labelMap(v: unknown): Record<string, string> {
  if (!isMap(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = labelString(x);
  return out;
}

/** `labelMap(v)[key]` without building the map: the value as a string, undefined when the key is absent. */
export function labelValue(v: unknown, key: string): string | undefined {
  return isMap(v) && Object.prototype.hasOwnProperty.call(v, key) ? labelString(v[key]) : undefined;
}

/** Plain map selector: every key is present with the same value. An empty selector matches everything. */
export function labelsMatch(selector: unknown, labels: Labels): boolean {
  if (!isMap(selector)) return true;
  // Hot path (every selector against every workload): no intermediate objects.
  for (const k in selector) {
    if (!Object.prototype.hasOwnProperty.call(selector, k)) continue;
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== labelString(selector[k]))
      return false;
  }
  return true;
}

/** True when a plain map selector has no keys (absent, null or `{}`). */
export function isEmptyLabels(selector: unknown): boolean {
  if (!isMap(selector)) return true;
  for (const k in selector) if (Object.prototype.hasOwnProperty.call(selector, k)) return false;
  return true;
}

/**
 * Kubernetes LabelSelector (`matchLabels` and `matchExpressions` with In, NotIn, Exists, DoesNotExist).
 * An absent or empty selector matches everything; an unknown operator matches nothing (the API server
 * would reject it).
 */
export function selectorMatches(selector: unknown, labels: Labels): boolean {
  if (!isMap(selector)) return true;
  if (!labelsMatch(selector.matchLabels, labels)) return false;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of exprs) {
    if (!isMap(e) || typeof e.key !== 'string') return false;
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = Array.isArray(e.values) ? e.values.map(text) : [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `a=1,b=2`: a plain map selector as kubectl prints it (keys sorted). */
export function selectorString(selector: unknown): string {
  return Object.entries(labelMap(selector))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The alphabetically first key of a plain map selector (the field istioctl points at), if any. */
export function firstSelectorKey(selector: unknown): string | undefined {
  return Object.keys(labelMap(selector)).sort()[0];
}

/** Istio's own control-plane and gateway objects, by their `istio=…` or `release=istio` label. */
export function isIstioControlPlane(labels: Labels): boolean {
  return labels.istio !== undefined || labels.release === 'istio';
}

/** Objects the snapshot adds itself (mesh config, default ingress gateway): not part of the inputs. */
export function isSynthetic(r: Resource): boolean {
  return r.origin.docIndex < 0 && r.origin.file === '';
}

/** Containers and init containers (native sidecars) of a pod spec. */
export function allContainers(podSpec: any): any[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isMap) : []);
  return [...list(podSpec?.containers), ...list(podSpec?.initContainers)];
}

/** True when the pod spec has an `istio-proxy` container (or native sidecar) with an image. */
export function hasIstioProxy(podSpec: any): boolean {
  const proxy = findContainer(podSpec?.containers) ?? findContainer(podSpec?.initContainers);
  return Boolean(proxy?.image);
}

function findContainer(list: unknown): Record<string, any> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const c of list) if (isMap(c) && c.name === ISTIO_PROXY) return c;
  return undefined;
}

/**
 * The workload's own injection choice from `sidecar.istio.io/inject` (label first, then the deprecated
 * annotation): true/false, or undefined when neither is set.
 */
export function workloadInjectionChoice(w: Pick<Workload, 'labels' | 'annotations'>): boolean | undefined {
  if (Object.prototype.hasOwnProperty.call(w.labels, SIDECAR_INJECT))
    return w.labels[SIDECAR_INJECT] === 'true';
  if (Object.prototype.hasOwnProperty.call(w.annotations, SIDECAR_INJECT))
    return w.annotations[SIDECAR_INJECT] === 'true';
  return undefined;
}

/** Looks up the Namespace object of a namespace name (undefined when it is not in the inputs). */
export type NamespaceLookup = (name: string) => Resource | undefined;

/** A lookup over an analysis context's Namespace objects. */
export function namespaceLookup(ctx: {
  get(key: string, namespace: string, name: string): Resource | undefined;
}): NamespaceLookup {
  return (name) => ctx.get(K.Namespace, '', name);
}

export interface InMeshOptions {
  /**
   * What to assume when the workload says nothing itself and its Namespace object is not in the inputs.
   * istioctl (which sees the live cluster) answers "not in the mesh"; offline the namespace labels are
   * simply unknown.
   */
  unknownNamespace?: boolean;
}

/**
 * Whether a pod (or pod template) gets or has a sidecar: it has an `istio-proxy` container with an image;
 * else its own `sidecar.istio.io/inject` label/annotation decides; else its namespace's
 * `istio-injection=enabled` label.
 */
export function workloadInMesh(w: Workload, namespaces: NamespaceLookup, opts: InMeshOptions = {}): boolean {
  if (hasIstioProxy(w.podSpec)) return true;
  const own = workloadInjectionChoice(w);
  if (own !== undefined) return own;
  const ns = namespaces(w.namespace);
  if (!ns) return opts.unknownNamespace ?? false;
  return labelValue(ns.metadata.labels, INJECTION_LABEL) === 'enabled';
}

/** A pod the ambient data plane captures (the CNI marks it with `ambient.istio.io/redirection: enabled`). */
export function workloadInAmbient(w: Pick<Workload, 'annotations'>): boolean {
  return w.annotations[AMBIENT_REDIRECTION] === 'enabled';
}

/** A namespace labelled for ambient (`istio.io/dataplane-mode=ambient`) and not for sidecar injection. */
export function namespaceInAmbient(ns: Resource | undefined): boolean {
  if (!ns) return false;
  const labels = labelMap(ns.metadata.labels);
  if (labels[INJECTION_LABEL] === 'enabled') return false;
  if (labels[REVISION_LABEL]) return false;
  return labels[DATAPLANE_MODE_LABEL] === 'ambient';
}

/** Path of a workload's pod metadata: `metadata` for Pods, `spec.template.metadata` for controllers. */
export function podMetadataPath(w: Pick<Workload, 'isPod'>): string {
  return w.isPod ? 'metadata' : 'spec.template.metadata';
}

/** Path of a workload's pod spec: `spec` for Pods, `spec.template.spec` for controllers. */
export function podSpecPath(w: Pick<Workload, 'isPod'>): string {
  return w.isPod ? 'spec' : 'spec.template.spec';
}

/**
 * Whether the inputs show the workloads of `namespace` (of every namespace when undefined): they hold a
 * workload there (not the synthetic default ingress Pod). "No workload matches" is only said where this
 * holds; elsewhere the workloads are likely deployed from another repository.
 */
export function workloadsKnown(
  ctx: Pick<AnalysisContext, 'workloads' | 'workloadsIn'>,
  namespace?: string,
): boolean {
  const candidates = namespace === undefined ? ctx.workloads() : ctx.workloadsIn(namespace);
  return candidates.some((w) => !isSynthetic(w.resource));
}

/** `key\0value` of a label, the key the indexes below file items under. */
function labelKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** The label key of a plain map selector's first entry; undefined when it has none (it matches everything). */
function firstSelectorLabel(selector: unknown): string | undefined {
  if (!isMap(selector)) return undefined;
  for (const k in selector)
    if (Object.prototype.hasOwnProperty.call(selector, k)) return labelKey(k, labelString(selector[k]));
  return undefined;
}

/**
 * Labelled items (workloads, endpoints) by each of their labels, so that the ones a plain map selector
 * matches are found among those carrying the selector's first label instead of among all of them.
 */
export class LabelIndex<T> {
  private readonly byLabel = new Map<string, T[]>();

  constructor(
    private readonly items: readonly T[],
    private readonly labelsOf: (item: T) => Labels,
  ) {
    for (const item of items) {
      const labels = labelsOf(item);
      for (const k of Object.keys(labels)) push(this.byLabel, labelKey(k, labels[k]!), item);
    }
  }

  /** The items `selector` matches (`labelsMatch`), in input order. */
  matching(selector: unknown): readonly T[] {
    const first = firstSelectorLabel(selector);
    if (first === undefined) return this.items;
    const candidates = this.byLabel.get(first) ?? [];
    return candidates.filter((item) => labelsMatch(selector, this.labelsOf(item)));
  }
}

/**
 * Items with a plain map selector (Services, policies) by their selector's first label, so that the ones
 * matching a label set are found among those filed under one of its labels instead of among all of them.
 */
export class SelectorIndex<T> {
  private readonly byFirstLabel = new Map<string, T[]>();
  /** Items whose selector is empty or absent: they match every label set. */
  private readonly matchAll: T[] = [];
  private readonly position = new Map<T, number>();

  constructor(
    items: readonly T[],
    private readonly selectorOf: (item: T) => unknown,
  ) {
    items.forEach((item, i) => {
      this.position.set(item, i);
      const first = firstSelectorLabel(selectorOf(item));
      if (first === undefined) this.matchAll.push(item);
      else push(this.byFirstLabel, first, item);
    });
  }

  /** The items whose selector matches `labels` (`labelsMatch`), in input order. */
  matching(labels: Labels): T[] {
    const out = [...this.matchAll];
    for (const k of Object.keys(labels)) {
      for (const item of this.byFirstLabel.get(labelKey(k, labels[k]!)) ?? [])
        if (labelsMatch(this.selectorOf(item), labels)) out.push(item);
    }
    return out.sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }
}

const newWorkloadIndexes = () => new Map<string, LabelIndex<Workload>>();

/** The workloads of a namespace by label, built once per run and namespace. */
export function workloadsByLabel(ctx: AnalysisContext, namespace: string): LabelIndex<Workload> {
  const byNamespace = ctx.shared(newWorkloadIndexes);
  let index = byNamespace.get(namespace);
  if (!index)
    byNamespace.set(namespace, (index = new LabelIndex(ctx.workloadsIn(namespace), (w) => w.labels)));
  return index;
}

function push<T>(m: Map<string, T[]>, key: string, item: T): void {
  const list = m.get(key);
  if (list) list.push(item);
  else m.set(key, [item]);
}

export interface WorkloadSelection<T> {
  /** Policies whose selector matches no workload of their namespace. */
  unmatched: T[];
  /** Each selected workload with the policies that select it, in input order. */
  selected: Array<{ workload: Workload; policies: T[] }>;
}

/** Matches namespaced policies with a plain map selector against the workloads of their own namespace. */
export function selectWorkloads<T extends Resource>(
  policies: readonly T[],
  workloads: readonly Workload[],
  selectorOf: (policy: T) => unknown,
): WorkloadSelection<T> {
  const unmatched: T[] = [];
  const byWorkload = new Map<Workload, T[]>();
  for (const p of policies) {
    const selector = selectorOf(p);
    let found = false;
    for (const w of workloads) {
      if (w.namespace !== (p.namespace ?? '') || !labelsMatch(selector, w.labels)) continue;
      found = true;
      const list = byWorkload.get(w);
      if (list) list.push(p);
      else byWorkload.set(w, [p]);
    }
    if (!found) unmatched.push(p);
  }
  return { unmatched, selected: [...byWorkload].map(([workload, list]) => ({ workload, policies: list })) };
}
