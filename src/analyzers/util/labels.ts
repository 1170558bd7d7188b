/**
 * "Is this workload in the mesh" rules and workload indexes shared by analyzers (label maps and selectors
 * themselves are in kube/labels.ts).
 */
import type { Resource } from '../../manifests/types.js';
import { labelMap, labelsMatch, labelValue, LabelIndex, type Labels } from '../../kube/labels.js';
import { isObject } from '../../util/values.js';
import { K, type AnalysisContext, type Workload } from '../types.js';

export const ISTIO_PROXY = 'istio-proxy';
export const INJECTION_LABEL = 'istio-injection';
export const REVISION_LABEL = 'istio.io/rev';
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';
export const AMBIENT_REDIRECTION = 'ambient.istio.io/redirection';

/** Istio's own control-plane and gateway objects, by their `istio=…` or `release=istio` label. */
export function isIstioControlPlane(labels: Labels): boolean {
  return labels.istio !== undefined || labels.release === 'istio';
}

/** Objects the snapshot adds itself (mesh config, default ingress gateway): not part of the inputs. */
export function isSynthetic(r: Resource): boolean {
  return r.origin.docIndex < 0 && r.origin.file === '' && !r.origin.cluster;
}

/** Containers and init containers (native sidecars) of a pod spec. */
export function allContainers(podSpec: any): any[] {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
  return [...list(podSpec?.containers), ...list(podSpec?.initContainers)];
}

/** True when the pod spec has an `istio-proxy` container (or native sidecar) with an image. */
export function hasIstioProxy(podSpec: any): boolean {
  const proxy = findContainer(podSpec?.containers) ?? findContainer(podSpec?.initContainers);
  return Boolean(proxy?.image);
}

function findContainer(list: unknown): Record<string, any> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const c of list) if (isObject(c) && c.name === ISTIO_PROXY) return c;
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
  /**
   * A namespace labelled `istio.io/rev` (and not `istio-injection=disabled`) counts as injected: that
   * revision's webhook injects it. Off by default (the analyzers that compare with istioctl read only
   * `istio-injection`, as istioctl's do).
   */
  revisionLabel?: boolean;
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
  const injection = labelValue(ns.metadata.labels, INJECTION_LABEL);
  if (injection === 'enabled') return true;
  return (
    opts.revisionLabel === true &&
    injection !== 'disabled' &&
    labelValue(ns.metadata.labels, REVISION_LABEL) !== undefined
  );
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
 * Whether the inputs show the workloads of `namespace` (of every namespace when undefined): they are a
 * whole cluster, or hold a workload there (not the synthetic default ingress Pod). "No workload matches"
 * is only said where this holds; elsewhere the workloads are likely deployed from another repository.
 */
export function workloadsKnown(
  ctx: Pick<AnalysisContext, 'workloads' | 'workloadsIn' | 'complete'>,
  namespace?: string,
): boolean {
  if (ctx.complete) return true;
  const candidates = namespace === undefined ? ctx.workloads() : ctx.workloadsIn(namespace);
  return candidates.some((w) => !isSynthetic(w.resource));
}

const newWorkloadIndexes = () => new Map<string, LabelIndex<Workload>>();

/** The workloads of a namespace by label, built once per run and namespace. */
export function workloadsByLabel(ctx: AnalysisContext, namespace: string): LabelIndex<Workload> {
  const byNamespace = ctx.shared(newWorkloadIndexes);
  let index = byNamespace.get(namespace);
  if (!index)
    byNamespace.set(namespace, (index = new LabelIndex(ctx.selectableIn(namespace), (w) => w.labels)));
  return index;
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
  const selected: WorkloadSelection<T>['selected'] = [];
  byWorkload.forEach((list, workload) => selected.push({ workload, policies: list }));
  return { unmatched, selected };
}
