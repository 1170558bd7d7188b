import type { PathSegment } from './path.js';

/**
 * Where the values of a JSON text that `JSON.parse` has accepted stand. One pass over the text, in a
 * single tight loop (so it runs optimized after a few hundred characters, even on a cold start), records
 * every token: keys, scalars and containers, with the token after each container's last one. Looking a
 * path up then steps from sibling to sibling without reading the text again, except to compare member
 * names where they stand (nothing is copied out of the text).
 */
export interface JsonIndex {
  text: string;
  /** Number of tokens. */
  count: number;
  /** Offset of each token (a key's or string's opening quote, a container's bracket, a scalar's start). */
  at: Int32Array;
  /** Kind of each token: KEY, VALUE (scalar or string), OBJECT or ARRAY. */
  kind: Uint8Array;
  /** For containers: the index of the first token after the container. */
  end: Int32Array;
}

const KEY = 1;
const VALUE = 2;
const OBJECT = 3;
const ARRAY = 4;

const isBlank = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

/** Past the closing quote of the string whose opening quote is at `i`. */
function stringEnd(text: string, i: number): number {
  for (i++; ;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** The token index of a JSON text (see `JsonIndex`). */
export function jsonIndex(text: string): JsonIndex {
  const n = text.length;
  // A token takes at least two characters with its separator (`1,`), so n / 2 + 2 always suffices.
  const size = (n >> 1) + 2;
  const at = new Int32Array(size);
  const kind = new Uint8Array(size);
  const end = new Int32Array(size);
  const open: number[] = [];
  let t = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const close = stringEnd(text, i);
      let j = close;
      while (j < n && isBlank(text.charCodeAt(j))) j++;
      at[t] = i;
      kind[t++] = text.charCodeAt(j) === 58 ? KEY : VALUE;
      i = close;
    } else if (c === 123 || c === 91) {
      at[t] = i;
      kind[t] = c === 123 ? OBJECT : ARRAY;
      open.push(t++);
      i++;
    } else if (c === 125 || c === 93) {
      end[open.pop()!] = t;
      i++;
    } else if (c === 44 || c === 58 || isBlank(c)) {
      i++;
    } else {
      at[t] = i;
      kind[t++] = VALUE;
      i++;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 44 || d === 93 || d === 125 || isBlank(d)) break;
      }
    }
  }
  return { text, count: t, at, kind, end };
}

/** The token after the value at `v` (and everything inside it). */
function after(index: JsonIndex, v: number): number {
  const k = index.kind[v];
  return k === OBJECT || k === ARRAY ? index.end[v]! : v + 1;
}

/** True when the key whose opening quote is at `at` is `name`. */
function keyIs(text: string, at: number, name: string): boolean {
  const end = at + 1 + name.length;
  if (text.charCodeAt(end) === 34 && text.startsWith(name, at + 1)) {
    // the same characters, unless the text escapes the closing quote
    return text.charCodeAt(end - 1) !== 92 || stringEnd(text, at) === end + 1;
  }
  // an escaped key (`"a\u0062"`) can still be `name`
  const raw = text.slice(at, stringEnd(text, at));
  return raw.includes('\\') && (JSON.parse(raw) as string) === name;
}

/** The offset of the deepest node along `segs` (a key's quote for members, an item's start for items). */
export function jsonOffset(index: JsonIndex, segs: readonly PathSegment[]): number {
  if (index.count === 0) return 0;
  const { text, at, kind, end } = index;
  let node = 0;
  let offset = at[0]!;
  for (const seg of segs) {
    const k = kind[node];
    let found = -1;
    if (k === OBJECT) {
      const name = String(seg);
      // members are key, value, key, value, …; the last of duplicate keys is the one JSON.parse keeps
      for (let m = node + 1; m < end[node]!; m = after(index, m + 1)) {
        if (keyIs(text, at[m]!, name)) found = m;
      }
      if (found < 0) break;
      offset = at[found]!;
      node = found + 1;
    } else if (k === ARRAY && typeof seg === 'number') {
      let item = node + 1;
      for (let i = 0; i < seg && item < end[node]!; i++) item = after(index, item);
      if (item >= end[node]!) break;
      offset = at[item]!;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
