/**
 * The tree operations of the install spec: the one merge function every input goes through, and istioctl's
 * `--set path=value` syntax. Pure functions over plain JSON values.
 */

import { ownValue, setOwn } from '../util/values.js';
import { goBool } from '../util/flags.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merges `overlay` over `base` and returns a new tree (neither input is changed). Maps merge key by key,
 * recursively; anything else in the overlay (scalars and whole lists) replaces what the base holds; a
 * `null` in the overlay removes the key. This is the only merge: profiles, `-f` files and `--set` flags
 * are all layered with it, lowest precedence first.
 */
export function mergeTree(base: Json | undefined, overlay: Json | undefined): Json | undefined {
  if (overlay === undefined) return clone(base);
  if (!isMap(base) || !isMap(overlay)) return clone(overlay);
  // keys come from documents and flags: `__proto__` or `constructor` are keys like any other
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(base)) setOwn(out, k, clone(v) as Json);
  for (const [k, v] of Object.entries(overlay)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergeTree(ownValue(out, k), v) as Json);
  }
  return out;
}

export function clone<T extends Json | undefined>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** A problem with a `--set` flag or a spec path; the message names the path. */
export class PathError extends Error {}

/** One step of a parsed path: a map key, a list index, or a `[key:value]` selector of a list element. */
export type PathStep =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'select'; key: string; value: string };

/**
 * Splits an istioctl path: dots separate keys, `\.` is a literal dot within a key, and a key may be
 * followed by selectors `[N]` (list index) or `[key:value]` (the list element whose `key` is `value`).
 */
export function parsePath(path: string): PathStep[] {
  const keys: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && path[i + 1] === '.') {
      cur += '\u0000';
      i++;
    } else if (ch === '[') {
      depth++;
      cur += ch;
    } else if (ch === ']') {
      depth--;
      cur += ch;
    } else if (ch === '.' && depth === 0) {
      keys.push(cur);
      cur = '';
    } else cur += ch;
  }
  keys.push(cur);
  const steps: PathStep[] = [];
  for (const raw of keys) {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(raw);
    if (!m || (m[1] === '' && m[2] === ''))
      throw new PathError(`invalid path "${path}": empty or malformed key`);
    if (m[1]) steps.push({ kind: 'key', key: m[1].replaceAll('\u0000', '.') });
    for (const sel of m[2]!.match(/\[[^\]]*\]/g) ?? []) {
      const inner = sel.slice(1, -1).replaceAll('\u0000', '.');
      if (/^\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else {
        const colon = inner.indexOf(':');
        if (colon <= 0)
          throw new PathError(`invalid path "${path}": selector "${sel}" is neither [N] nor [key:value]`);
        steps.push({ kind: 'select', key: inner.slice(0, colon), value: inner.slice(colon + 1) });
      }
    }
  }
  return steps;
}

export function formatPath(steps: readonly PathStep[]): string {
  let out = '';
  for (const s of steps) {
    if (s.kind === 'key') out += (out ? '.' : '') + s.key.replaceAll('.', '\\.');
    else if (s.kind === 'index') out += `[${s.index}]`;
    else out += `[${s.key}:${s.value}]`;
  }
  return out;
}

/** Paths (under `spec.`) whose values always stay strings, as in istioctl (versions, tags, proxy metadata). */
function alwaysString(fullPath: string): boolean {
  return (
    fullPath === 'tag' ||
    fullPath === 'values.global.tag' ||
    fullPath === 'compatibilityVersion' ||
    fullPath === 'values.compatibilityVersion' ||
    /(^|\.)meshConfig\.defaultConfig\.proxyMetadata\./.test(fullPath)
  );
}

/**
 * Types a `--set` value by trial, as istioctl does with Go's strconv: an integer (Atoi), else a float
 * (ParseFloat: `1e3`, `1_000.5`, the hexadecimal `0x1p3`), else a boolean (ParseBool: `true`, `True`,
 * `TRUE`, `t` and their false forms), else the string (with `\,` read as `,`). A float past float64's
 * range (`1e400`) is the string, as there; `inf` and `nan`, which istioctl reads as floats and then fails
 * on (JSON has no such numbers), are strings here. A value at a path that takes only strings
 * (`takesString`: labels, annotations, names …) stays the string it is.
 */
export function typedValue(text: string, path = '', takesString = false): Json {
  if (alwaysString(path)) return text;
  if (takesString) return text.replaceAll('\\,', ',');
  if (/^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  const float = goFloat(text);
  if (float !== undefined && Number.isFinite(float)) return float;
  const bool = goBool(text);
  if (bool !== undefined) return bool;
  return text.replaceAll('\\,', ',');
}

// Go's float literals as ParseFloat reads them: an underscore only between digits (or after `0x`)
const DIGITS = '\\d+(?:_\\d+)*';
const HEX = '[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*';
const DECIMAL_FLOAT = new RegExp(
  `^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
);
const HEX_FLOAT = new RegExp(`^([+-]?)0[xX]_?(${HEX})?(?:\\.(${HEX})?)?[pP]([+-]?${DIGITS})$`);

/** What Go's strconv.ParseFloat reads in `text` (undefined: not a float to it). */
function goFloat(text: string): number | undefined {
  if (DECIMAL_FLOAT.test(text)) return Number(text.replaceAll('_', ''));
  const hex = HEX_FLOAT.exec(text);
  if (hex && (hex[2] || hex[3])) {
    const [whole, fraction] = [(hex[2] ?? '').replaceAll('_', ''), (hex[3] ?? '').replaceAll('_', '')];
    const mantissa = parseInt(whole + fraction || '0', 16) / 16 ** fraction.length;
    const value = mantissa * 2 ** Number(hex[4]!.replaceAll('_', ''));
    return hex[1] === '-' ? -value : value;
  }
  if (/^[+-]?(?:inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(text)) return NaN;
  return undefined;
}

/**
 * Parses one `--set` flag `path=value` into its path and typed value; `takesString` says which paths take
 * only strings (the install schema knows).
 */
export function parseSetFlag(
  flag: string,
  takesString: (steps: readonly PathStep[]) => boolean = () => false,
): { path: string; value: Json } {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new PathError(`--set "${flag}": expected path=value`);
  const path = flag.slice(0, eq).trim();
  return { path, value: typedValue(flag.slice(eq + 1), path, takesString(parsePath(path))) };
}

/**
 * Sets `value` at `path` inside `root` (changed in place). Missing maps and lists are created; `[N]` may
 * address an existing element or the one just past the end (appends); a `[key:value]` selector must
 * match an existing element.
 */
export function setPath(root: JsonMap, path: string, value: Json): void {
  const steps = parsePath(path);
  let node: Json = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    const fresh = (): Json => (next && next.kind !== 'key' ? [] : {});
    if (step.kind === 'key') {
      if (!isMap(node)) throw new PathError(`--set ${path}: "${formatPath(steps.slice(0, i))}" is not a map`);
      // own keys only: `__proto__` or `constructor` in a path is a key (the schema then names it)
      const cur: Json | undefined = ownValue(node, step.key);
      if (last) setOwn(node, step.key, value);
      else if (cur === undefined || cur === null) {
        const created = fresh();
        setOwn(node, step.key, created);
        node = created;
      } else node = cur;
    } else {
      if (!Array.isArray(node))
        throw new PathError(`--set ${path}: "${formatPath(steps.slice(0, i))}" is not a list`);
      let index: number;
      if (step.kind === 'index') {
        if (step.index > node.length)
          throw new PathError(
            `--set ${path}: index ${step.index} is out of range (the list has ${node.length})`,
          );
        index = step.index;
      } else {
        index = node.findIndex((e) => isMap(e) && String(e[step.key]) === step.value);
        if (index < 0)
          throw new PathError(`--set ${path}: no element of the list matches [${step.key}:${step.value}]`);
      }
      if (last) node[index] = value;
      else {
        if (node[index] === undefined || node[index] === null) node[index] = fresh();
        node = node[index]!;
      }
    }
  }
}
