import { isServedIstioKind } from '../../manifests/kinds.js';
import { getAt, joinPath } from '../../manifests/path.js';
import type { Resource } from '../../manifests/types.js';
import { isObject } from '../../util/values.js';
import { ANY_KIND, defineAnalyzer, type AnalysisContext } from '../types.js';

/** Where each workload kind keeps the metadata of the pods (and jobs) it creates. */
const TEMPLATE_METADATA: ReadonlyMap<string, readonly { path: string; segs: readonly string[] }[]> = new Map(
  Object.entries({
    'apps/Deployment': ['spec.template.metadata'],
    'apps/StatefulSet': ['spec.template.metadata'],
    'apps/DaemonSet': ['spec.template.metadata'],
    'apps/ReplicaSet': ['spec.template.metadata'],
    'batch/Job': ['spec.template.metadata'],
    'core/ReplicationController': ['spec.template.metadata'],
    'core/PodTemplate': ['template.metadata'],
    'batch/CronJob': ['spec.jobTemplate.metadata', 'spec.jobTemplate.spec.template.metadata'],
  }).map(([key, paths]) => [key, paths.map((path) => ({ path, segs: path.split('.') }))]),
);

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
  codes: ['MSH1007'],
  inputs: [ANY_KIND],
  analyze(ctx) {
    for (const r of ctx.all()) {
      // served Istio kinds: their schema analyzer checks the metadata (IST0106)
      if (!r.origin.file || isServedIstioKind(r.group, r.version, r.kind)) continue;
      checkMetadata(ctx, r, r.metadata, 'metadata');
      const templates = TEMPLATE_METADATA.get(r.key);
      if (templates === undefined) continue;
      for (const { path, segs } of templates) checkMetadata(ctx, r, getAt(r.body, segs), path);
    }
  },
});

// One check per field, no loops over lists of field names: this runs once per object of the inputs,
// mostly before V8 has optimized it, where each such loop costs more than the checks themselves.
function checkMetadata(ctx: AnalysisContext, r: Resource, meta: unknown, path: string): void {
  if (!isObject(meta)) return;
  // mappings and sequences as names stop the loader already (the object cannot be named)
  if (isScalarNotString(meta.name)) report(ctx, r, joinPath(path, 'name'), meta.name, 'a string');
  if (isScalarNotString(meta.generateName))
    report(ctx, r, joinPath(path, 'generateName'), meta.generateName, 'a string');
  if (isScalarNotString(meta.namespace))
    report(ctx, r, joinPath(path, 'namespace'), meta.namespace, 'a string');
  if (meta.labels != null) checkStrings(ctx, r, meta.labels, path, 'labels');
  if (meta.annotations != null) checkStrings(ctx, r, meta.annotations, path, 'annotations');
}

function isScalarNotString(v: unknown): boolean {
  return v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'object';
}

/**
 * `path.field`, a map of strings; null values are accepted (the API server stores an empty string). Paths
 * are only built for a finding.
 */
function checkStrings(ctx: AnalysisContext, r: Resource, map: unknown, path: string, field: string): void {
  if (!isObject(map)) {
    report(ctx, r, joinPath(path, field), map, 'a mapping of strings');
    return;
  }
  const keys = Object.keys(map);
  for (let i = 0; i < keys.length; i++) {
    const v = map[keys[i]!];
    if (typeof v !== 'string' && v !== null) report(ctx, r, joinPath(path, field, keys[i]!), v, 'a string');
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
