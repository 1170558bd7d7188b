import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from '../../util/paths.js';

/**
 * The JSON Schemas in `schemas/` (see schemas/README.md) and how they are compiled with ajv. The same
 * functions serve the build (scripts/build-validators.mjs writes one standalone validator module per kind
 * into dist/validators/) and the fallback that compiles on first use when no precompiled module exists
 * (tests run from src/). ajv itself is only loaded when something is compiled.
 */

/** `<package root>/schemas/`: the same relative place from src/analyzers/schema and dist/analyzers/schema. */
export const SCHEMA_DIR = join(packageRoot(), 'schemas');

/** Base of the schemas' `$id`s; a `$ref` to `common.json` is resolved against it. */
export const SCHEMA_ID_BASE = 'https://mesh.invalid/schemas/';

/** One entry of schemas/index.json. */
export interface SchemaKind {
  group: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  /** API versions the kind is served in; they all share the one schema file. */
  versions: string[];
  /** File name in schemas/ of the kind's `spec` schema. */
  schema: string;
  /** True when an object without `spec` is invalid. */
  specRequired?: boolean;
}

const files = new Map<string, any>();

/** A schema file from schemas/, parsed once. */
export function readSchema(file: string): any {
  let s = files.get(file);
  if (s === undefined) {
    s = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'));
    files.set(file, s);
  }
  return s;
}

export function schemaKinds(): SchemaKind[] {
  return readSchema('index.json').kinds;
}

export function findSchemaKind(group: string, kind: string): SchemaKind | undefined {
  return schemaKinds().find((k) => k.group === group && k.kind === kind);
}

/** A schema node with its `$ref`s followed, and the schema file it ends in (its own refs resolve there). */
export interface SchemaNode {
  schema: any;
  file: string;
}

/**
 * Follows a node's `$ref` (relative to `file`, or absolute under SCHEMA_ID_BASE) until none is left. Keywords
 * next to a `$ref` apply too: they are merged in, `required` lists joined.
 */
export function deref(schema: any, file: string): SchemaNode {
  let node: SchemaNode = { schema, file };
  while (typeof node.schema.$ref === 'string') {
    const { $ref, ...siblings } = node.schema;
    const target = resolveRef($ref, node.file);
    const s = target.schema;
    const required = [...new Set([...(s.required ?? []), ...(siblings.required ?? [])])];
    node = { schema: { ...s, ...siblings, ...(required.length > 0 ? { required } : {}) }, file: target.file };
  }
  return node;
}

/**
 * The node one `$ref` names (relative to `file`, or absolute under SCHEMA_ID_BASE), not followed further;
 * its schema is undefined when the pointer leads nowhere.
 */
export function resolveRef(ref: string, file: string): SchemaNode {
  const local = ref.startsWith(SCHEMA_ID_BASE) ? ref.slice(SCHEMA_ID_BASE.length) : ref;
  const [target = '', pointer = ''] = local.split('#');
  const targetFile = target || file;
  let s = readSchema(targetFile);
  for (const part of pointer.split('/').filter(Boolean)) s = s?.[part];
  return { schema: s, file: targetFile };
}

/** The schema of a whole object: basic apiVersion/kind/metadata checks, the kind's spec schema, any status. */
export function objectSchema(entry: SchemaKind): Record<string, unknown> {
  return {
    $id: `${SCHEMA_ID_BASE}objects/${entry.schema}`,
    type: 'object',
    additionalProperties: false,
    ...(entry.specRequired ? { required: ['spec'] } : {}),
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: `${SCHEMA_ID_BASE}common.json#/$defs/objectMeta` },
      spec: { $ref: `${SCHEMA_ID_BASE}${entry.schema}` },
      status: { type: 'object' },
    },
  };
}

const requireHere = createRequire(import.meta.url);

/** An ajv instance holding the shared definitions and the kind's spec schema. */
function ajvFor(entry: SchemaKind) {
  // The schemas are written as draft 2019-09 but use only keywords of ajv's default (draft-07) vocabulary
  // plus $defs; its generated code skips 2019's bookkeeping for unevaluated properties, which makes the
  // validators smaller and quicker to load. Their $schema is not used to pick a meta-schema here.
  const Ajv = requireHere('ajv').default;
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictRequired: false,
    inlineRefs: false,
    code: { source: true },
  });
  const withoutMeta = ({ $schema: _meta, ...schema }: any) => schema;
  ajv.addSchema(withoutMeta(readSchema('common.json')));
  ajv.addSchema(withoutMeta(readSchema(entry.schema)));
  return ajv;
}

/** Compiles the object validator of a kind in this process. */
export function compileValidator(entry: SchemaKind): ValidateFunction {
  return ajvFor(entry).compile(objectSchema(entry));
}

/** File name of a kind's precompiled validator module. */
export function validatorModuleName(entry: SchemaKind): string {
  return entry.schema.replace(/\.json$/, '.cjs');
}

/** Source of a standalone (CommonJS) validator module for a kind, as the build writes it. */
export function standaloneValidatorSource(entry: SchemaKind): string {
  const ajv = ajvFor(entry);
  const validate = ajv.compile(objectSchema(entry));
  const standaloneCode = requireHere('ajv/dist/standalone').default;
  return standaloneCode(ajv, validate);
}
