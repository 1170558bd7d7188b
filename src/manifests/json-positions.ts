import type { PathSegment } from './path.js';

/**
 * A JSON value's place in a text that `JSON.parse` has accepted. Containers are indexed lazily: the first
 * lookup into one scans it once, recording where its members or items start (values are skipped, not
 * built), so locating findings costs about one pass over the parts of the file that hold them.
 */
export interface JsonNode {
  at: number;
  /** Object members: key → where the key's opening quote is, and the value. (Last duplicate wins.) */
  keys?: Map<string, { key: number; node: JsonNode }>;
  items?: JsonNode[];
}

const isBlank = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

class Scanner {
  constructor(private readonly text: string) {}

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
      let depth = 0;
      for (;;) {
        const d = text.charCodeAt(i);
        if (d === 34) {
          i = this.stringEnd(i);
          continue;
        }
        if (d === 123 || d === 91) depth++;
        else if (d === 125 || d === 93) {
          if (--depth === 0) return i + 1;
        } else if (Number.isNaN(d)) return i;
        i++;
      }
    }
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === 44 || d === 93 || d === 125 || isBlank(d)) break;
      i++;
    }
    return i;
  }

  /** Fills `node.keys` or `node.items` (once). */
  expand(node: JsonNode): void {
    const text = this.text;
    const open = text.charCodeAt(node.at);
    let i = this.blanks(node.at + 1);
    if (open === 123) {
      node.keys = new Map();
      if (text.charCodeAt(i) === 125) return;
      for (;;) {
        const key = i;
        const end = this.stringEnd(i);
        const raw = text.slice(i, end);
        const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        i = this.blanks(this.blanks(end) + 1); // past ':'
        node.keys.set(name, { key, node: { at: i } });
        i = this.blanks(this.skip(i));
        if (text.charCodeAt(i) !== 44) return;
        i = this.blanks(i + 1);
      }
    } else if (open === 91) {
      node.items = [];
      if (text.charCodeAt(i) === 93) return;
      for (;;) {
        node.items.push({ at: i });
        i = this.blanks(this.skip(i));
        if (text.charCodeAt(i) !== 44) return;
        i = this.blanks(i + 1);
      }
    }
  }
}

/** The root of a JSON text's lazy position index. */
export function jsonIndex(text: string): { root: JsonNode; scanner: Scanner } {
  const scanner = new Scanner(text);
  return { root: { at: scanner.blanks(0) }, scanner };
}

/** The offset of the deepest node along `segs` (a key's quote for members, an item's start for items). */
export function jsonOffset(index: ReturnType<typeof jsonIndex>, segs: readonly PathSegment[]): number {
  let node = index.root;
  let offset = node.at;
  for (const seg of segs) {
    if (!node.keys && !node.items) index.scanner.expand(node);
    if (node.keys) {
      const member = node.keys.get(String(seg));
      if (!member) break;
      offset = member.key;
      node = member.node;
    } else if (node.items && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      offset = item.at;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
