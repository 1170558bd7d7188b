import type { PathSegment } from './path.js';

/**
 * A JSON value's place in a text that `JSON.parse` has accepted. Containers are indexed lazily: the first
 * lookup into one scans it once, recording where its members or items start (values are skipped, not
 * built), so locating findings costs about one pass over the parts of the file that hold them. Member
 * names are compared where they stand, but those of an object with many members, which are read into a
 * Map on its first lookup.
 */
export interface JsonNode {
  at: number;
  /** Object members: where each key's opening quote is (in order; the last of duplicates wins). */
  keys?: number[];
  /** The values of the members in `keys`, or the items of an array. */
  children?: JsonNode[];
  /** Of an object with more than `WIDE` members, once looked into: each name's place in `keys`. */
  names?: Map<string, number>;
}

/** Members are found by name through a Map beyond this many (a scan of them all per lookup is quadratic). */
const WIDE = 32;

/** Everything up to the next bracket outside a string (a sticky regex: it matches at `lastIndex`). */
const BETWEEN_BRACKETS = /(?:[^"[\]{}]+|"(?:[^"\\]|\\.)*")*/y;

const isBlank = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

class Scanner {
  constructor(readonly text: string) {}

  blanks(i: number): number {
    while (isBlank(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** Past the end of the string starting at `i`. */
  stringEnd(i: number): number {
    const text = this.text;
    for (i++; ;) {
      const q = text.indexOf('"', i);
      if (q < 0) return text.length;
      let slashes = 0;
      while (text.charCodeAt(q - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) return q + 1;
      i = q + 1;
    }
  }

  /** Past the end of the value starting at `i`. */
  skip(i: number): number {
    const text = this.text;
    const c = text.charCodeAt(i);
    if (c === 34) return this.stringEnd(i);
    if (c === 123 || c === 91) {
      // From bracket to bracket: one regex match steps over everything in between (blanks, scalars,
      // whole strings), so the scan runs at the regex engine's speed even before this code is optimized.
      const re = BETWEEN_BRACKETS;
      let depth = 0;
      for (;;) {
        const d = text.charCodeAt(i);
        if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          if (--depth === 0) return i + 1;
        } else return i; // the text ended (JSON.parse accepted it, so only at the end)
        re.lastIndex = i + 1;
        re.test(text);
        i = re.lastIndex;
      }
    }
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === 44 || d === 93 || d === 125 || isBlank(d)) break;
      i++;
    }
    return i;
  }

  /**
   * Fills `node.keys` and `node.children`, and those of its children that are containers: one scan
   * indexes two levels, so the whole-file levels of a `kind: List` (the root and its `items`) are read
   * once, not twice. Returns where the node's value ends.
   */
  expand(node: JsonNode, levels = 2): number {
    const text = this.text;
    const open = text.charCodeAt(node.at);
    if (open !== 123 && open !== 91) return this.skip(node.at);
    const children: JsonNode[] = (node.children = []);
    const keys: number[] | undefined = open === 123 ? (node.keys = []) : undefined;
    let i = this.blanks(node.at + 1);
    if (text.charCodeAt(i) === (keys ? 125 : 93)) return i + 1;
    for (;;) {
      if (keys) {
        keys.push(i);
        i = this.blanks(this.blanks(this.stringEnd(i)) + 1); // past ':'
      }
      const child: JsonNode = { at: i };
      children.push(child);
      i = this.blanks(levels > 1 ? this.expand(child, levels - 1) : this.skip(i));
      if (text.charCodeAt(i) !== 44) return i + 1;
      i = this.blanks(i + 1);
    }
  }

  /** Each key's name, to its place in `keys` (the last of duplicates). */
  names(keys: readonly number[]): Map<string, number> {
    const text = this.text;
    const names = new Map<string, number>();
    for (let k = 0; k < keys.length; k++) {
      const at = keys[k]!;
      const end = this.stringEnd(at);
      const raw = text.slice(at + 1, end - 1);
      names.set(raw.includes('\\') ? (JSON.parse(text.slice(at, end)) as string) : raw, k);
    }
    return names;
  }

  /** True when the key whose opening quote is at `at` is `name`. */
  keyIs(at: number, name: string): boolean {
    const text = this.text;
    const end = at + 1 + name.length;
    if (text.charCodeAt(end) === 34 && text.startsWith(name, at + 1)) {
      // the same characters, unless the text escapes the closing quote
      return text.charCodeAt(end - 1) !== 92 || this.stringEnd(at) === end + 1;
    }
    // an escaped key (`"a\u0062"`) can still be `name`
    const close = this.stringEnd(at);
    const raw = text.slice(at, close);
    return raw.includes('\\') && (JSON.parse(raw) as string) === name;
  }
}

/** A JSON text's lazy position index, from `jsonIndex`. */
export interface JsonIndex {
  root: JsonNode;
  scanner: Scanner;
  /** Values indexed from an offset of their own (`jsonValueAt`'s `start`), by that offset. */
  from?: Map<number, JsonNode>;
}

/**
 * The root of a JSON text's lazy position index. A byte order mark before it is skipped (the text may
 * be a file as read, which JSON.parse was given without it).
 */
export function jsonIndex(text: string): JsonIndex {
  const scanner = new Scanner(text);
  return { root: { at: scanner.blanks(text.charCodeAt(0) === 0xfeff ? 1 : 0) }, scanner };
}

/**
 * Follows `segs` down from `node`: to where the deepest node along them is (a key's quote for members,
 * an item's start for items), or with `values` to where the value at `segs` starts (-1 when there is
 * none: a member missing, an item past the end, a number for a member or a name for an item).
 */
function follow(scanner: Scanner, node: JsonNode, segs: readonly PathSegment[], values: boolean): number {
  let offset = node.at;
  for (const seg of segs) {
    if (!node.children) scanner.expand(node);
    const children = node.children;
    const keys = node.keys;
    let found = -1;
    if (keys) {
      if (!values || typeof seg !== 'number') {
        const name = String(seg);
        // the last of duplicate keys is the one JSON.parse keeps
        if (keys.length > WIDE) found = (node.names ??= scanner.names(keys)).get(name) ?? -1;
        else
          for (let k = keys.length - 1; k >= 0; k--) {
            if (scanner.keyIs(keys[k]!, name)) {
              found = k;
              break;
            }
          }
      }
    } else if (children && typeof seg === 'number' && seg < children.length) found = seg;
    if (found < 0) return values ? -1 : offset;
    node = children![found]!;
    offset = keys && !values ? keys[found]! : node.at;
  }
  return offset;
}

/** The offset of the deepest node along `segs` (a key's quote for members, an item's start for items). */
export function jsonOffset(index: JsonIndex, segs: readonly PathSegment[]): number {
  return follow(index.scanner, index.root, segs, false);
}

/**
 * Where the value at `segs` starts, below the value that starts at `start` (or after blanks there; the
 * root by default); undefined when the text holds no such value. Only the value at `start` is read (it
 * must be JSON that JSON.parse accepted): the rest of the text need not be JSON.
 */
export function jsonValueAt(index: JsonIndex, segs: readonly PathSegment[], start = 0): number | undefined {
  let node = start === 0 ? index.root : index.from?.get(start);
  if (!node) (index.from ??= new Map()).set(start, (node = { at: index.scanner.blanks(start) }));
  const at = follow(index.scanner, node, segs, true);
  return at >= 0 && at < index.scanner.text.length ? at : undefined;
}
