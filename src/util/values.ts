/**
 * Tolerant readers of parsed values (YAML or JSON documents, API responses): they never throw on a value of
 * the wrong type, they return an empty or undefined answer instead.
 */

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value when it is an array, else an empty array. */
export function list(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/**
 * Keys of a map-shaped value (empty for anything else). Loops over a document's maps read `v[key]` for
 * each of these rather than destructure `Object.entries` pairs: the analyzers run mostly before V8 has
 * optimized them, and there each `[key, value]` pair costs an array and a pass through the iterator
 * protocol, 3–4 times the cost of the key loop.
 */
export function keysOf(v: unknown): string[] {
  return isObject(v) ? Object.keys(v) : [];
}

/**
 * Any parsed value as text: a string as it is, a mapping or list as JSON, anything else as `String(v)`
 * gives it, but never throwing (a mapping from the input can have keys named `toString` or `valueOf` that
 * are not functions, and then `String` fails).
 */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  // a mapping or a list where a string belongs reads as the user wrote it, not "[object Object]"
  if (v !== null && typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      // (cannot be: parsed values have no cycles)
    }
  }
  try {
    return String(v);
  } catch {
    return JSON.stringify(v) ?? '';
  }
}

/**
 * Any parsed value as a number, as `Number(v)` gives it, but never throwing (NaN instead): a mapping with
 * keys named `valueOf` or `toString` that are not functions makes `Number` fail.
 */
export function number(v: unknown): number {
  if (typeof v === 'number') return v;
  try {
    return Number(v);
  } catch {
    return NaN;
  }
}

/**
 * `obj[key] = value` for a key read from a document: a key named `__proto__` becomes an own property
 * (plain assignment would set the object's prototype, or be ignored, and the entry would be lost).
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * `table[key]` for a constant table looked up by a name read from a document: own entries only, so a name
 * such as `constructor` or `__proto__` finds nothing rather than an Object.prototype member.
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** A string value, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A numeric value (YAML ints may arrive as numbers; numeric strings are accepted too), or undefined. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * JSON with sorted keys, so that two equal structures compare equal whatever their key order (what
 * `JSON.stringify` writes for parsed YAML, keys sorted; undefined for undefined).
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x) ?? 'null').join(',')}]`;
  const fields: string[] = [];
  for (const k of Object.keys(v).sort()) {
    const value = canonicalJson((v as Record<string, unknown>)[k]);
    if (value !== undefined) fields.push(`${JSON.stringify(k)}:${value}`);
  }
  return `{${fields.join(',')}}`;
}

/** `s` as a regular expression that matches it literally. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
