import type { Position } from './types.js';

/**
 * A fast index of field positions for block-style YAML (what Kubernetes manifests almost always are): one
 * pass over the lines records the line and column of every mapping key and sequence item, keyed by its
 * path. It recognises block mappings and sequences (including `- key: v` items and sequences at the same
 * indentation as their key), quoted keys, comments, block scalars and single-line flow collections.
 * Anything it cannot be sure of (tabs in indentation, flow collections or quoted scalars spanning lines,
 * documents that are flow style altogether, e.g. JSON) makes it return undefined, and the caller falls
 * back to the full YAML parser.
 */
export type BlockIndex = Map<string, Position>;

const SEP = '\u0000';

interface Container {
  kind: 'map' | 'seq';
  indent: number;
  /** `pathKey` of the container's own path; null for the document root. */
  path: string | null;
  count: number; // seq: items seen
  pendingKey?: string; // map: the last key whose value may be a nested block
}

// Sticky: matched at a line's content column.
const KEY =
  /(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{[\]},&*!|>%@`?][^#]*?|\?[^\s#][^#]*?))[ \t]*:(?=[ \t]|$)/y;

export function pathKey(segments: ReadonlyArray<string | number>): string {
  return segments.join(SEP);
}

/** `pathKey` of a container's path plus one segment, without building the segment list. */
function childKey(parent: string | null, segment: string): string {
  return parent === null ? segment : parent + SEP + segment;
}

/** Returns the index, or undefined when the document is not plain block style. */
export function buildBlockIndex(text: string, lineOffset: number): BlockIndex | undefined {
  const index: BlockIndex = new Map();
  const stack: Container[] = [];
  let blockScalarIndent = -1; // skipping a block scalar's content: lines indented more than this
  let lineNo = lineOffset;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    const raw = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    let col = 0;
    while (col < raw.length && raw.charCodeAt(col) === 32) col++;
    if (col === raw.length) continue; // blank
    if (raw.charCodeAt(col) === 9) return undefined; // tab indentation
    if (blockScalarIndent >= 0) {
      if (col > blockScalarIndent) continue;
      blockScalarIndent = -1;
    }
    if (raw.charCodeAt(col) === 35 /* # */) continue;
    if (stack.length === 0 && (raw[col] === '{' || raw[col] === '[')) return undefined; // flow document
    const result = handle(raw, col, lineNo);
    if (result === 'complex') return undefined;
    if (typeof result === 'number') blockScalarIndent = result;
  }
  return index;

  /** Processes the content of a line starting at column `col`; may recurse after `- `. */
  function handle(line: string, col: number, lineNumber: number): 'complex' | number | void {
    const isDash =
      line.charCodeAt(col) === 45 && (col + 1 === line.length || line.charCodeAt(col + 1) === 32);
    // Close containers that end before this column. A sequence at the same column as its parent's key
    // ends when a key (not a dash) appears at that column.
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.indent > col || (top.indent === col && top.kind === 'seq' && !isDash)) stack.pop();
      else break;
    }
    const top = stack[stack.length - 1];
    if (isDash) {
      let seq: Container;
      if (top && top.kind === 'seq' && top.indent === col) seq = top;
      else {
        const parentPath = top?.kind === 'map' ? top.pendingKey : top ? undefined : null;
        if (parentPath === undefined) return; // a dash we cannot place (e.g. inside a multi-line scalar): ignore
        seq = { kind: 'seq', indent: col, path: parentPath, count: 0 };
        if (top?.kind === 'map') top.pendingKey = undefined;
        stack.push(seq);
      }
      const itemPath = childKey(seq.path, String(seq.count++));
      let c = col + 1;
      while (c < line.length && line.charCodeAt(c) === 32) c++;
      index.set(itemPath, { line: lineNumber, column: c + 1 });
      if (c >= line.length || line.charCodeAt(c) === 35) {
        // the item's value is a nested block on the next lines
        stack.push({ kind: 'map', indent: col + 1, path: itemPath, count: 0, pendingKey: itemPath });
        return;
      }
      stack.push({ kind: 'map', indent: c, path: itemPath, count: 0 });
      const nested = handle(line, c, lineNumber);
      // a scalar item leaves an empty map container behind; harmless
      return nested;
    }
    KEY.lastIndex = col;
    const m = KEY.exec(line);
    if (!m) {
      const first = line[col];
      if ((first === '"' || first === "'") && !closesQuote(line.slice(col))) return 'complex';
      return; // scalar continuation or a scalar sequence item
    }
    let map: Container;
    if (top && top.kind === 'map' && top.indent === col) map = top;
    else {
      const parentPath = top?.kind === 'map' ? top.pendingKey : top ? undefined : null;
      if (parentPath === undefined) return 'complex';
      map = { kind: 'map', indent: col, path: parentPath, count: 0 };
      if (top?.kind === 'map') top.pendingKey = undefined;
      stack.push(map);
    }
    const key =
      m[1] !== undefined
        ? unescapeDouble(m[1])
        : m[2] !== undefined
          ? m[2].replace(/''/g, "'")
          : m[3]!.trim();
    const keyPath = childKey(map.path, key);
    index.set(keyPath, { line: lineNumber, column: col + 1 });
    map.pendingKey = undefined;
    let v = col + m[0].length;
    while (v < line.length && (line.charCodeAt(v) === 32 || line.charCodeAt(v) === 9)) v++;
    let value = line.slice(v);
    // anchors and tags before the value
    while (value[0] === '&' || value[0] === '!') value = value.replace(/^[&!]\S*\s*/, '');
    if (value === '' || value[0] === '#') {
      map.pendingKey = keyPath;
      return;
    }
    if (value[0] === '|' || value[0] === '>') return col;
    if (value[0] === '{' || value[0] === '[') return balanced(value) ? undefined : 'complex';
    if ((value[0] === '"' || value[0] === "'") && !closesQuote(value)) return 'complex';
    return;
  }
}

function unescapeDouble(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

/** A quoted scalar that ends on the same line. */
function closesQuote(s: string): boolean {
  const q = s[0];
  for (let i = 1; i < s.length; i++) {
    if (q === '"' && s[i] === '\\') {
      i++;
      continue;
    }
    if (s[i] === q) {
      if (q === "'" && s[i + 1] === "'") {
        i++;
        continue;
      }
      return true;
    }
  }
  return false;
}

/** A flow collection that closes on the same line (quotes respected). */
function balanced(s: string): boolean {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return true;
    } else if (ch === '#' && depth === 0) break;
  }
  return depth === 0 && quote === '';
}
