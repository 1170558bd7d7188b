/**
 * Field access over protobuf-JSON that may use Envoy's snake_case names or protojson's lowerCamelCase
 * names for the same field. Accessors take the snake_case name and fall back to the camelCase one.
 * Map keys (metadata keys, Struct fields) are never translated: read those with plain indexing.
 */

import { ExitCode, MeshError } from '../util/errors.js';
import { isObject } from '../util/values.js';
import { exactText } from './exact-numbers.js';

export type Obj = Record<string, unknown>;

const camelCache = new Map<string, string>();

/** A proto field name for its JSON name: `privateKey` -> `private_key` (a snake_case name as it is). */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** protojson's JSON name for a proto field name: `foo_bar_1` -> `fooBar1`. */
export function camel(name: string): string {
  let c = camelCache.get(name);
  if (c === undefined) {
    c = name.indexOf('_') < 0 ? name : name.replace(/_+([a-z0-9])/g, (_m, ch: string) => ch.toUpperCase());
    camelCache.set(name, c);
  }
  return c;
}

export const isObj: (v: unknown) => v is Obj = isObject;

/** The raw value of a field under either spelling. */
export function field(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  const v = o[name];
  if (v !== undefined) return v;
  return o[camel(name)];
}

/** True when the field is present (even with a default value), as a proto wrapper would be. */
export function has(o: unknown, name: string): boolean {
  const v = field(o, name);
  return v !== undefined && v !== null;
}

export function obj(o: unknown, name: string): Obj | undefined {
  const v = field(o, name);
  return isObj(v) ? v : undefined;
}

/**
 * A repeated field: absent (or null) is empty; anything else that is not a list is unusable input (exit
 * 65, naming the field) rather than read as empty, which would drop its entries from a table in silence.
 */
export function arr(o: unknown, name: string): unknown[] {
  const v = field(o, name);
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return [];
  throw new FieldTypeError(o as Obj, fieldKey(o, name), undefined, 'a list', v);
}

/** A repeated string field (domains, server names, trust domains, …), every entry checked to be a string. */
export function strs(o: unknown, name: string): string[] {
  const list = arr(o, name);
  for (let i = 0; i < list.length; i++)
    if (typeof list[i] !== 'string')
      throw new FieldTypeError(o as Obj, fieldKey(o, name), i, 'a string', list[i]);
  return list as string[];
}

/** The key a field is stored under: its snake_case name, else its camelCase one. */
export function fieldKey(o: unknown, name: string): string {
  return isObj(o) && o[name] !== undefined ? name : camel(name);
}

/**
 * DataSource fields that hold key material, passwords or credentials: those Envoy's protos mark
 * sensitive (TLS keys and passwords, generic and session-ticket secrets, basic-auth users, Redis
 * credentials, gRPC credential metadata) and HMAC secrets.
 */
export const SECRET_FIELDS = new Set([
  'private_key',
  'password',
  'pkcs12',
  'secret',
  'keys',
  'hmac_secret',
  'users',
  'auth_password',
  'auth_username',
  'downstream_auth_password',
  'downstream_auth_username',
  'secret_data',
]);

/** A value for an error message: its JSON, cut at 40 characters. */
export function shownValue(got: unknown): string {
  // key material put where something else belongs: say what it is, never quote it
  if (typeof got === 'string' && /PRIVATE KEY|^LS0tLS1CRUdJTi/.test(got))
    return 'a private key or PEM data (not shown)';
  try {
    return (exactText(got) ?? JSON.stringify(got))?.slice(0, 40) ?? String(got);
  } catch {
    return typeof got;
  }
}

/**
 * A field of the wrong type (exit 65). It keeps the object holding the field, so that a caller that knows
 * the whole input (a config dump) can say where that object is: file, section, JSON path, line and column.
 */
export class FieldTypeError extends MeshError {
  /** The wrong value, as the message shows it. */
  readonly shown: string;
  constructor(
    /** The object whose field has the wrong type. */
    readonly holder: Obj,
    /** The field's key in that object, as written (snake_case or camelCase). */
    readonly key: string,
    /** The list entry that has the wrong type, for a list of strings. */
    readonly index: number | undefined,
    /** What it should be (`a list`, `a string`). */
    readonly expected: string,
    got: unknown,
  ) {
    // a secret field's wrong value may be the secret itself (a password written as a plain string)
    const secret = SECRET_FIELDS.has(snake(key));
    const shown = secret
      ? `${Array.isArray(got) ? 'a list' : `a ${typeof got}`} (not shown)`
      : shownValue(got);
    const at = `${key}${index === undefined ? '' : `[${index}]`}`;
    super(`field ${at} must be ${expected}, got ${shown}`, { exitCode: ExitCode.DATA });
    this.shown = shown;
  }
}

export function str(o: unknown, name: string): string {
  const v = field(o, name);
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : (exactText(v) ?? '');
}

/**
 * A uint32 field (a port, a prefix length, a version number); protojson writes 64-bit integers as
 * strings, so both forms are accepted. A number mesh cannot hold as written (`1e400`, 18446744073709551615:
 * beyond 2^53, or kept as its text) is no uint32: an error naming the field (exit 65) rather than a
 * table showing another number.
 */
export function num(o: unknown, name: string): number {
  const v = field(o, name);
  let n = 0;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) n = Number(v);
  else if (exactText(v) !== undefined) n = NaN;
  if (Math.abs(n) <= Number.MAX_SAFE_INTEGER) return n;
  throw new FieldTypeError(o as Obj, fieldKey(o, name), undefined, 'an integer in 0..4294967295', v);
}

export function bool(o: unknown, name: string): boolean {
  const v = field(o, name);
  return v === true || v === 'true';
}

/** Follows a path of field names; undefined as soon as one is missing. */
export function path(o: unknown, ...names: string[]): unknown {
  let cur: unknown = o;
  for (const n of names) {
    cur = field(cur, n);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** The `@type` of an Any (unpacked inline in protobuf-JSON). */
export function typeUrl(o: unknown): string {
  return isObj(o) && typeof o['@type'] === 'string' ? o['@type'] : '';
}

/** An enum field by name; numeric values are mapped through `names` (index = enum number). */
export function enumName(o: unknown, name: string, names: readonly string[]): string {
  const v = field(o, name);
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return names[v] ?? String(v);
  return exactText(v) ?? names[0]!;
}

/**
 * A string map/Struct value read without translating its keys: `filter_metadata` -> `istio` ->
 * `config`, for instance. The first name is a message field, the rest are map keys.
 */
export function mapValue(o: unknown, fieldName: string, ...keys: string[]): unknown {
  let cur: unknown = field(o, fieldName);
  for (const k of keys) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
