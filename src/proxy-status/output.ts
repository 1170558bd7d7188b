import { goJson } from '../envoy/protojson.js';
import { toGoYaml } from '../envoy/goyaml.js';

/**
 * `-o json|yaml` of istiod's answers: one document per replica, one after another, as istioctl prints
 * them (an empty message is jsonpb's `{`, blank line, `}`).
 */
export function renderResponses(docs: object[], format: 'json' | 'yaml'): string {
  return docs
    .map((d) => {
      if (format === 'yaml') return toGoYaml(d);
      return Object.keys(d).length === 0 ? '{\n\n}\n' : goJson(d) + '\n';
    })
    .join('');
}
