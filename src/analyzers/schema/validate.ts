import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Resource } from '../../manifests/types.js';
import { packageRoot } from '../../util/paths.js';
import { acceptanceCheck } from './accept.js';
import { compileValidator, findSchemaKind, validatorModuleName, type SchemaKind } from './compile.js';
import { describeErrors, type SchemaIssue } from './errors.js';
import { bundledValidator } from './precompiled.js';

export type { SchemaIssue } from './errors.js';

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Where `npm run build` puts the precompiled validators. */
export const PRECOMPILED_DIR = join(packageRoot(), 'dist', 'validators');

const requireHere = createRequire(import.meta.url);
/** Folder → kind entry → validator (entries come from one parsed index, so they are stable keys). */
const loaded = new Map<string, Map<SchemaKind, Validate>>();

/**
 * The validator of one kind: the precompiled module (bundled into dist/mesh.cjs, else read from `dir`
 * when it holds one; only that kind's module is loaded), else compiled with ajv on first use. All come
 * from the same schema and ajv options.
 */
export function validatorFor(entry: SchemaKind, dir: string = PRECOMPILED_DIR): Validate {
  let byEntry = loaded.get(dir);
  if (!byEntry) loaded.set(dir, (byEntry = new Map()));
  let v = byEntry.get(entry);
  if (!v) {
    const name = validatorModuleName(entry);
    const bundled = dir === PRECOMPILED_DIR ? bundledValidator(name) : undefined;
    const file = join(dir, name);
    if (bundled) v = bundled() as Validate;
    else v = existsSync(file) ? (requireHere(file) as Validate) : compileValidator(entry);
    byEntry.set(entry, v);
  }
  return v;
}

/**
 * Structural (JSON Schema) problems of an Istio object, each with the path of the offending field.
 * Fields set to null count as absent, as they do for the Kubernetes API server and Istio.
 */
export function schemaIssues(resource: Resource, dir?: string): SchemaIssue[] {
  const entry = findSchemaKind(resource.group, resource.kind);
  if (!entry) return [];
  const body = resource.nullFree ? resource.body : withoutNulls(resource.body);
  // most objects are valid: a quick check says so, and ajv is asked only to explain the others
  if (acceptanceCheck(entry)?.(body)) return [];
  const validate = validatorFor(entry, dir);
  if (validate(body)) return [];
  return describeErrors(validate.errors ?? [], body, entry);
}

/** The value with null-valued object fields removed; returns the same object when there are none. */
export function withoutNulls<T>(value: T): T {
  return hasNullField(value) ? stripNulls(value) : value;
}

/** True when some object inside `value` has a null-valued field (a scan that allocates nothing). */
function hasNullField(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && hasNullField(item)) return true;
    }
    return false;
  }
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
    const v = obj[k];
    // Only objects and arrays are descended into (most fields are scalars).
    if (v === null || (typeof v === 'object' && hasNullField(v))) return true;
  }
  return false;
}

function stripNulls<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const stripped = stripNulls(item);
      if (stripped !== item) (copy ??= [...value])[i] = stripped;
    });
    return (copy ?? value) as T;
  }
  const obj = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) {
      copy ??= { ...obj };
      delete copy[k];
      continue;
    }
    const stripped = stripNulls(v);
    if (stripped !== v) (copy ??= { ...obj })[k] = stripped;
  }
  return (copy ?? value) as T;
}
