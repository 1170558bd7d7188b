import type { PathSegment } from './path.js';

/** A JSON value's place in the text: where it starts, and for containers where each member is. */
export interface JsonNode {
  at: number;
  /** Object members: key → where the key's opening quote is, and the value. */
  keys?: Map<string, { key: number; node: JsonNode }>;
  items?: JsonNode[];
}

/**
 * The position index of a JSON text that `JSON.parse` has accepted, built in one pass: every value's
 * offset, and every member key's. (Duplicate keys: the last wins, as in `JSON.parse`.)
 */
export function jsonIndex(text: string): JsonNode {
  let i = 0;
  const n = text.length;
  const blanks = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };
  const string = (): string => {
    const start = i++;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(i++);
      if (c === 92) {
        escaped = true;
        i++;
      } else if (c === 34 || i >= n) break;
    }
    return escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
  };
  const value = (): JsonNode => {
    blanks();
    const at = i;
    const c = text.charCodeAt(i);
    if (c === 123 /* { */) {
      i++;
      const keys = new Map<string, { key: number; node: JsonNode }>();
      blanks();
      if (text.charCodeAt(i) === 125) i++;
      else
        for (;;) {
          blanks();
          const key = i;
          const k = string();
          blanks();
          i++; // ':'
          keys.set(k, { key, node: value() });
          blanks();
          if (text.charCodeAt(i++) !== 44 /* , */) break;
        }
      return { at, keys };
    }
    if (c === 91 /* [ */) {
      i++;
      const items: JsonNode[] = [];
      blanks();
      if (text.charCodeAt(i) === 93) i++;
      else
        for (;;) {
          items.push(value());
          blanks();
          if (text.charCodeAt(i++) !== 44) break;
        }
      return { at, items };
    }
    if (c === 34) {
      string();
      return { at };
    }
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 44 || d === 93 || d === 125 || d === 32 || d === 10 || d === 13 || d === 9) break;
      i++;
    }
    return { at };
  };
  return value();
}

/** The offset of the deepest node along `segs` (a key's quote for members, an item's start for items). */
export function jsonOffset(root: JsonNode, segs: readonly PathSegment[]): number {
  let node = root;
  let offset = root.at;
  for (const seg of segs) {
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
