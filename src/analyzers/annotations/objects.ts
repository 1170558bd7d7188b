import type { Resource } from '../../manifests/types.js';
import { joinPath } from '../../manifests/path.js';
import { K, type AnalysisContext } from '../types.js';
import { isSynthetic, podMetadataPath } from '../util/labels.js';
import { isEmptyLabels, labelMap } from '../../kube/labels.js';
import { ALWAYS_IGNORED } from './catalogue.js';

/** One annotation map to check: an object's own metadata, or the pod template of a workload controller. */
export interface AnnotatedObject {
  resource: Resource;
  /** Kind the catalogue's resource list is compared with (`Pod` for pod templates). */
  kind: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** The pod spec when the annotations are a pod's. */
  podSpec?: any;
  /** Path of the annotation map, e.g. `spec.template.metadata.annotations`. */
  path: string;
}

/** The kinds whose own annotations are checked, as in istioctl. */
export const ANNOTATED_KINDS = [K.Namespace, K.Service, K.Pod, K.Deployment];

/**
 * The annotation maps the annotation analyzers check: the metadata of Namespaces, Services, Pods and
 * Deployments (as istioctl), plus the pod templates of workload controllers (where pod annotations are
 * written in manifests), checked as Pods. Objects without annotations are left out.
 */
export function annotatedObjects(ctx: AnalysisContext): AnnotatedObject[] {
  const out: AnnotatedObject[] = [];
  const own = (r: Resource) => {
    if (isEmptyLabels(r.metadata.annotations)) return;
    out.push({
      resource: r,
      kind: r.kind,
      annotations: labelMap(r.metadata.annotations),
      labels: labelMap(r.metadata.labels),
      podSpec: r.key === K.Pod ? (r.spec ?? {}) : undefined,
      path: 'metadata.annotations',
    });
  };
  for (const key of ANNOTATED_KINDS) for (const r of ctx.each(key)) if (!isSynthetic(r)) own(r);
  for (const w of ctx.workloads()) {
    if (w.isPod || isSynthetic(w.resource) || isEmptyLabels(w.annotations)) continue;
    out.push({
      resource: w.resource,
      kind: 'Pod',
      annotations: w.annotations,
      labels: w.labels,
      podSpec: w.podSpec,
      path: joinPath(podMetadataPath(w), 'annotations'),
    });
  }
  return out;
}

/**
 * Annotation keys in Istio's domains (the prefix before `/` ends in `istio.io`) plus the documented
 * `kubernetes.io/ingress.class`, minus the ones Istio writes itself.
 */
export function isCheckedAnnotation(key: string): boolean {
  if (ALWAYS_IGNORED.has(key)) return false;
  return key === 'kubernetes.io/ingress.class' || key.split('/')[0].endsWith('istio.io');
}

/** `metadata.annotations["sidecar.istio.io/inject"]`. */
export function annotationPath(obj: AnnotatedObject, key: string): string {
  return joinPath(obj.path, key);
}
