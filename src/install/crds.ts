import { deref, readSchema, schemaKinds, type SchemaKind } from '../analyzers/schema/compile.js';

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinitions of the Istio kinds, generated from the same JSON
 * Schemas that `mesh analyze` validates with (schemas/). Every served version gets the kind's schema; the
 * storage version is the most stable, newest one. The schemas are turned into Kubernetes structural
 * schemas: $refs inlined, `additionalProperties: false` dropped (the API server prunes unknown fields, or
 * rejects them on server-side apply), and objects that accept unknown fields (free-form parts such as EnvoyFilter patch values) marked
 * `x-kubernetes-preserve-unknown-fields`. Admission rules beyond the schema stay with Istio's webhook.
 */
export function istioCrds(): object[] {
  return schemaKinds().map(crdFor);
}

function crdFor(entry: SchemaKind): object {
  const storage = storageVersion(entry.versions);
  // A fresh tree per version: nothing is shared between versions or with the cached schema files.
  const openAPIV3Schema = () => ({
    type: 'object',
    properties: {
      spec: toStructural(readSchema(entry.schema), entry.schema),
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    ...(entry.specRequired ? { required: ['spec'] } : {}),
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${entry.plural}.${entry.group}` },
    spec: {
      group: entry.group,
      names: {
        kind: entry.kind,
        listKind: `${entry.kind}List`,
        plural: entry.plural,
        singular: entry.kind.toLowerCase(),
        ...(entry.shortNames ? { shortNames: [...entry.shortNames] } : {}),
        categories: ['istio-io', `${entry.group.replace(/\.istio\.io$/, '')}-istio-io`],
      },
      scope: 'Namespaced',
      versions: entry.versions.map((name) => ({
        name,
        served: true,
        storage: name === storage,
        schema: { openAPIV3Schema: openAPIV3Schema() },
        subresources: { status: {} },
      })),
    },
  };
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first. */
export function storageVersion(versions: readonly string[]): string {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return rb[0] - ra[0] || rb[1] - ra[1] || rb[2] - ra[2];
  })[0]!;
}

/** Keywords copied as they are (all allowed in structural schemas). */
const PLAIN = [
  'type',
  'description',
  'required',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
];
/** Keywords that only matter to JSON Schema tooling. */
const DROPPED = new Set(['$schema', '$id', '$defs', 'title', '$comment']);

/** Converts a node of a schema file into a structural-schema node (refs resolved against `file`). */
function toStructural(schema: any, schemaFile: string): Record<string, unknown> {
  const { schema: node, file } = deref(schema, schemaFile);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (PLAIN.includes(k)) out[k] = Array.isArray(v) ? [...v] : v;
    else if (k === 'properties')
      out.properties = Object.fromEntries(
        Object.entries(v as object).map(([name, sub]) => [name, toStructural(sub, file)]),
      );
    else if (k === 'items') out.items = toStructural(v, file);
    else if (k === 'additionalProperties') {
      if (typeof v === 'object') out.additionalProperties = toStructural(v, file);
    } else if (k === 'not') out.not = toValueValidation(v);
    else if (!DROPPED.has(k)) throw new Error(`${file}: cannot express "${k}" in a CRD schema`);
  }
  if (out.type === 'object' && node.additionalProperties !== false && out.additionalProperties === undefined)
    out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

/** Contents of not/anyOf: only `required` lists, which structural schemas allow there. */
function toValueValidation(node: any): Record<string, unknown> {
  if (Array.isArray(node.anyOf)) return { anyOf: node.anyOf.map(toValueValidation) };
  if (Array.isArray(node.required) && Object.keys(node).length === 1) return { required: [...node.required] };
  throw new Error(`cannot express ${JSON.stringify(node)} as a CRD value validation`);
}
