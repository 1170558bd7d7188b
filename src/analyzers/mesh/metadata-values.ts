import { istioKindProblem, ISTIO_KINDS } from '../../manifests/kinds.js';
import { joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject, ownValue } from '../../util/values.js';
import { ANY_KIND, defineAnalyzer, type AnalysisContext } from '../types.js';

/** Where each workload kind keeps the metadata of the pods (and jobs) it creates. */
const TEMPLATE_METADATA: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'apps/Deployment': [['spec', 'template', 'metadata']],
  'apps/StatefulSet': [['spec', 'template', 'metadata']],
  'apps/DaemonSet': [['spec', 'template', 'metadata']],
  'apps/ReplicaSet': [['spec', 'template', 'metadata']],
  'batch/Job': [['spec', 'template', 'metadata']],
  'core/ReplicationController': [['spec', 'template', 'metadata']],
  'core/PodTemplate': [['template', 'metadata']],
  'batch/CronJob': [
    ['spec', 'jobTemplate', 'metadata'],
    ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
  ],
};

/**
 * `version: 1.0` or `sidecar.istio.io/inject: false` unquoted in labels or annotations: valid YAML, but a
 * number or a boolean where Kubernetes wants a string, so the API server rejects the whole object
 * ("cannot unmarshal bool into … of type string"). istioctl fails to parse such a file and skips the
 * object; mesh reports the field and still analyzes the rest of the object. Istio kinds are left to their
 * schema analyzers (IST0106 on the same field), so each mistake is reported once.
 */
export default defineAnalyzer({
  name: 'mesh.MetadataValueAnalyzer',
  description:
    'Reports labels, annotations, names and namespaces that are not strings (the API server rejects the object)',
  inputs: [ANY_KIND],
  analyze(ctx) {
    for (const r of ctx.all()) {
      if (!r.origin.file || schemaValidated(r)) continue;
      checkMetadata(ctx, r, r.metadata, 'metadata');
      for (const segs of ownValue(TEMPLATE_METADATA, r.key) ?? []) {
        let meta: unknown = r.body;
        for (const seg of segs) meta = isObject(meta) ? meta[seg] : undefined;
        checkMetadata(ctx, r, meta, segs.join('.'));
      }
    }
  },
});

/** True for the Istio kinds whose schema analyzer checks the metadata too. */
function schemaValidated(r: Resource): boolean {
  const kinds = ownValue(ISTIO_KINDS, r.group);
  return (
    kinds !== undefined &&
    ownValue(kinds, r.kind) !== undefined &&
    istioKindProblem(r.group, r.version, r.kind) === undefined
  );
}

function checkMetadata(ctx: AnalysisContext, r: Resource, meta: unknown, path: string): void {
  if (!isObject(meta)) return;
  for (const field of ['name', 'generateName', 'namespace'] as const) {
    // mappings and sequences here stop the loader already (the object cannot be named)
    const v = meta[field];
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'object')
      report(ctx, r, joinPath(path, field), v, 'a string');
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (map === undefined || map === null) continue;
    const at = joinPath(path, field);
    if (!isObject(map)) {
      report(ctx, r, at, map, 'a mapping of strings');
      continue;
    }
    for (const key of Object.keys(map)) {
      const v = map[key];
      // null is accepted (the API server stores an empty string)
      if (typeof v === 'string' || v === null) continue;
      report(ctx, r, joinPath(at, key), v, 'a string');
    }
  }
}

function report(ctx: AnalysisContext, r: Resource, path: string, v: unknown, expected: string): void {
  ctx.report('MSH1007', r, [path, describe(v), expected], { path });
}

/** What a value is, for the message (not the value itself: `1.0` is parsed as 1, `0x1F` as 31). */
function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a sequence';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}
