import {
  Document,
  visit,
  type CreateNodeOptions,
  type DocumentOptions,
  type SchemaOptions,
  type ToStringOptions,
} from 'yaml';
import { plainScalarValue } from '../manifests/yaml-schema.js';

/**
 * YAML text of `value` that kubectl and istiod (Go's YAML 1.1 reader behind sigs.k8s.io/yaml) read back as
 * `value`. The `yaml` package writes YAML 1.2, where `yes`, `on`, `n`, `1_000` and `0o17` are strings it
 * leaves plain; Go's reader takes them for booleans and numbers, so a label `tier: n` or an env value
 * `value: on` would reach the API server as a boolean, which it refuses. Such strings (values and keys)
 * are written double-quoted; everything else is written as `stringify` writes it.
 */
export function stringifyForKube(
  value: unknown,
  options: DocumentOptions & SchemaOptions & CreateNodeOptions & ToStringOptions = {},
): string {
  const doc = new Document(value, options);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || (node.type !== undefined && node.type !== 'PLAIN')) return;
      if (plainScalarValue(node.value) !== node.value) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString(options);
}
