import jsYaml from 'js-yaml';

/**
 * How Kubernetes and istioctl read YAML (Go's YAML 1.1 reader behind sigs.k8s.io/yaml): YAML 1.2's core
 * scalars (a date stays a string) and YAML 1.1's merge key, `<<: *defaults` or `<<: [*a, *b]`, whose
 * mappings' keys the mapping receives unless it sets them itself. kubectl applies a manifest written with
 * merge keys merged; read without them, `<<` would be a field of its own.
 */
// js-yaml exports its types (`types.merge`); @types/js-yaml does not declare them.
const { merge } = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types;

export const KUBE_YAML_SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [merge] });
