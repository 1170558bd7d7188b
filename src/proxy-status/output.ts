import { goJson } from '../envoy/protojson.js';
import { toGoYaml } from '../envoy/goyaml.js';

/**
 * `-o json|yaml` of istiod's answers: one document per replica, one after another, as istioctl prints
 * them (an empty message is jsonpb's `{`, blank line, `}`). YAML documents are separated by `---` (istioctl
 * glues them, and a YAML reader then keeps only the last replica's proxies); JSON documents follow each
 * other as istioctl prints them, which `jq` reads as a stream.
 */
export function renderResponses(docs: object[], format: 'json' | 'yaml'): string {
  if (format === 'yaml') return docs.map((d) => toGoYaml(d)).join('---\n');
  return docs.map((d) => (Object.keys(d).length === 0 ? '{\n\n}\n' : goJson(d) + '\n')).join('');
}
