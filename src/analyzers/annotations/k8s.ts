import { defineAnalyzer, WORKLOAD_INPUTS } from '../types.js';
import { SIDECAR_INJECT } from '../util/labels.js';
import { ANNOTATIONS } from './catalogue.js';
import { ANNOTATED_KINDS, annotatedObjects, annotationPath, isCheckedAnnotation } from './objects.js';
import { VALIDATORS } from './validators.js';

/** Extra hint for deprecated annotations that have a direct replacement. */
const DEPRECATION_HINTS: Record<string, string> = {
  [SIDECAR_INJECT]: ` in favor of the "${SIDECAR_INJECT}" label`,
};

export default defineAnalyzer({
  name: 'annotations.K8sAnalyzer',
  description: 'Reports unknown, misplaced, deprecated and malformed Istio annotations on Kubernetes objects',
  codes: ['IST0107', 'IST0108', 'IST0125', 'IST0135'],
  inputs: [...ANNOTATED_KINDS, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    for (const obj of annotatedObjects(ctx)) {
      for (const key of Object.keys(obj.annotations)) {
        const value = obj.annotations[key]!;
        if (!isCheckedAnnotation(key)) continue;
        const path = annotationPath(obj, key);
        const def = ANNOTATIONS.get(key);
        if (!def) {
          ctx.report('IST0108', obj.resource, [key], { path });
          continue;
        }
        // Keeping the deprecated annotation next to its replacement label is deliberate compatibility.
        if (def.deprecated && !(key === SIDECAR_INJECT && SIDECAR_INJECT in obj.labels))
          ctx.report('IST0135', obj.resource, [key, DEPRECATION_HINTS[key] ?? ''], { path });
        if (def.resources.includes('Any')) continue;
        if (!def.resources.includes(obj.kind)) {
          ctx.report('IST0107', obj.resource, [key, def.resources.join(', ')], { path });
          continue;
        }
        const problem = VALIDATORS.get(key)?.(value);
        if (problem !== undefined) ctx.report('IST0125', obj.resource, [key, problem], { path });
      }
    }
  },
});
