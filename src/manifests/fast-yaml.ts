import jsYaml from 'js-yaml';
import type { PathSegment } from './path.js';

/**
 * A fast parser for the block-style YAML that Kubernetes manifests almost always are. It accepts a
 * conservative subset — block mappings and sequences (also `- key: v` items and sequences at their key's
 * indentation), plain and single-line quoted scalars, comments, `[]`/`{}` and flat single-line flow
 * sequences, `|`/`|-` literal block scalars — and returns exactly what js-yaml's CORE schema returns for
 * it. Anything else (anchors, aliases, tags, folded or multi-line scalars, escapes, tabs, non-ASCII text,
 * duplicate keys, …) makes it return `UNSUPPORTED` and the caller parses the document with js-yaml, which
 * also produces the error messages. The equivalence is checked by a differential test against js-yaml.
 */
export const UNSUPPORTED: unique symbol = Symbol('unsupported YAML');

/** Thrown inside the parser and caught at the top: one preallocated value, no stack capture. */
const BAIL = { bail: true };

/** Deepest nesting of block collections read here (js-yaml refuses documents deeper than 100). */
const MAX_DEPTH = 50;

const SPACE = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const DQUOTE = 34;
const SQUOTE = 39;
const LBRACKET = 91;
const LBRACE = 123;
const PIPE = 124;

// Printable ASCII and line feeds only: tabs, carriage returns and non-ASCII text go to js-yaml.
const OUTSIDE_SUBSET = /[^\n\x20-\x7e]/;

// Characters that start YAML syntax this parser leaves to js-yaml when they begin a key or a value.
const INDICATOR = new Uint8Array(128);
for (const c of '-?:,[]{}#&*!|>\'"%@`') INDICATOR[c.charCodeAt(0)] = 1;

const SPECIAL_WORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const scalarCache = new Map<string, string | number | boolean | null>();

/** What js-yaml (CORE schema) makes of a plain scalar. */
function resolvePlain(s: string): string | number | boolean | null {
  const c = s.charCodeAt(0);
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 47;
  if (letter && !(s.length <= 5 && SPECIAL_WORDS.has(s))) return s;
  let v = scalarCache.get(s);
  if (v !== undefined || scalarCache.has(s)) return v as string | number | boolean | null;
  let parsed: unknown;
  try {
    parsed = jsYaml.load(s, { schema: jsYaml.CORE_SCHEMA });
  } catch {
    throw BAIL;
  }
  if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') v = parsed;
  else if (parsed === s) v = s;
  else throw BAIL;
  if (scalarCache.size < 10_000) scalarCache.set(s, v);
  return v;
}

// Line tables, reused from document to document (documents are parsed one at a time).
let starts = new Int32Array(1024);
let ends = new Int32Array(1024);
let indents = new Int32Array(1024);
/** 0 blank, 1 comment, 2 content. */
let kinds = new Uint8Array(1024);

/**
 * Items of the sequences being read, innermost last: a sequence's items are collected here and copied
 * out into an array of their exact length. (An array grown by push() from empty keeps room for 16 items;
 * manifests' sequences mostly hold one or two, and every parsed document stays in memory for the run.)
 */
const items: unknown[] = [];
const MAX_KEPT_ITEMS = 4096;

function growTables(): void {
  const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
    const b = new (a.constructor as new (n: number) => T)(a.length * 2);
    b.set(a);
    return b;
  };
  starts = grow(starts);
  ends = grow(ends);
  indents = grow(indents);
  kinds = grow(kinds);
}

class Parser {
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly indents: Int32Array;
  private readonly kinds: Uint8Array;
  private readonly count: number;
  /** The next line to look at. */
  private cursor = 0;
  /** How many null values the document has (schema validation skips its null-stripping pass for none). */
  nulls = 0;
  /** The end of the used part of `items`. */
  private top = 0;

  constructor(private readonly text: string) {
    const n = text.length;
    let pos = 0;
    let line = 0;
    while (pos <= n) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      let i = pos;
      while (i < end && text.charCodeAt(i) === SPACE) i++;
      if (line === starts.length) growTables();
      starts[line] = pos;
      ends[line] = end;
      indents[line] = i - pos;
      kinds[line] = i === end ? 0 : text.charCodeAt(i) === HASH ? 1 : 2;
      line++;
      pos = end + 1;
    }
    this.count = line;
    this.starts = starts;
    this.ends = ends;
    this.indents = indents;
    this.kinds = kinds;
  }

  document(): unknown {
    const li = this.next(0);
    if (li >= this.count) return null;
    if (this.indents[li] !== 0) throw BAIL;
    this.cursor = li;
    const value = this.blockNode();
    if (this.next(this.cursor) < this.count) throw BAIL;
    return value;
  }

  /** See `fastLocate`. */
  locate(path: readonly PathSegment[]): Located {
    const text = this.text;
    const found: Located = { depth: 0, line: -1, column: 0 };
    const at = (depth: number, line: number, pos: number) => {
      found.depth = depth;
      found.line = line;
      found.column = pos - this.starts[line] + 1;
    };
    let li = this.next(0);
    if (li >= this.count) return found;
    let col = this.indents[li];
    let p = this.starts[li] + col; // where the first entry of the current block starts
    for (let d = 0; d < path.length; d++) {
      const seg = path[d];
      if (this.isDash(p, this.ends[li])) {
        if (typeof seg !== 'number') return found;
        let line = li;
        for (let i = 0; i < seg; i++) {
          line = this.nextItem(line, col);
          if (line < 0) return found;
        }
        const end = this.ends[line];
        let c = this.starts[line] + col + 1;
        while (c < end && text.charCodeAt(c) === SPACE) c++;
        at(d + 1, line, c);
        if (c === end || text.charCodeAt(c) === HASH) {
          // the item's value is a block on the next lines: the item is where that block starts
          const ni = this.next(line + 1);
          if (ni >= this.count || this.indents[ni] <= col) return found;
          li = ni;
          col = this.indents[ni];
          p = this.starts[ni] + col;
          at(d + 1, li, p);
        } else if (this.keyColon(c, end) >= 0) {
          li = line; // `- key: value`: a mapping starting on the item's line
          col = c - this.starts[line];
          p = c;
        } else {
          return this.flowItem(found, path, d + 1, line, c);
        }
      } else {
        let line = li;
        let q = p;
        let colon = this.keyColon(q, this.ends[line]);
        while (this.key(q, colon) !== String(seg)) {
          line = this.nextKey(line, col);
          if (line < 0) return found;
          q = this.starts[line] + col;
          colon = this.keyColon(q, this.ends[line]);
        }
        at(d + 1, line, q);
        const end = this.ends[line];
        let v = colon + 1;
        while (v < end && text.charCodeAt(v) === SPACE) v++;
        if (v < end && text.charCodeAt(v) !== HASH) return this.flowItem(found, path, d + 1, line, v);
        // a nested block, or a sequence at the key's own indentation
        const ni = this.next(line + 1);
        if (ni >= this.count) return found;
        const ind = this.indents[ni];
        if (ind < col || (ind === col && !this.isDash(this.starts[ni] + col, this.ends[ni]))) return found;
        li = ni;
        col = ind;
        p = this.starts[ni] + col;
      }
    }
    return found;
  }

  /** The next key of a mapping at `col` after the one on `line` (its values' lines skipped), or -1. */
  private nextKey(line: number, col: number): number {
    for (let li = this.next(line + 1); li < this.count; li = this.next(li + 1)) {
      const ind = this.indents[li];
      if (ind < col) return -1;
      if (ind === col && !this.isDash(this.starts[li] + col, this.ends[li])) return li;
    }
    return -1;
  }

  /** The next item of a sequence at `col` after the one on `line`, or -1. */
  private nextItem(line: number, col: number): number {
    for (let li = this.next(line + 1); li < this.count; li = this.next(li + 1)) {
      const ind = this.indents[li];
      if (ind < col) return -1;
      if (ind === col) return this.isDash(this.starts[li] + col, this.ends[li]) ? li : -1;
    }
    return -1;
  }

  /** An inline value at `v` holds no deeper node, except the items of a one-line flow sequence. */
  private flowItem(
    found: Located,
    path: readonly PathSegment[],
    d: number,
    line: number,
    v: number,
  ): Located {
    const index = path[d];
    const text = this.text;
    const end = this.ends[line];
    if (typeof index !== 'number' || text.charCodeAt(v) !== LBRACKET) return found;
    let q = v + 1;
    for (let i = 0; ; i++) {
      while (q < end && text.charCodeAt(q) === SPACE) q++;
      const c = text.charCodeAt(q);
      if (q >= end || c === 93 /* ] */) return found;
      if (i === index) {
        found.depth = d + 1;
        found.line = line;
        found.column = q - this.starts[line] + 1;
        return found;
      }
      if (c === DQUOTE || c === SQUOTE) {
        this.quoted(q, end);
        q = this.quoteEnd;
      }
      while (q < end && text.charCodeAt(q) !== 44 /* , */ && text.charCodeAt(q) !== 93) q++;
      if (text.charCodeAt(q) !== 44) return found;
      q++;
    }
  }

  /** The first content line at or after `li`. */
  private next(li: number): number {
    while (li < this.count && this.kinds[li] !== 2) li++;
    return li;
  }

  private isDash(p: number, end: number): boolean {
    return this.text.charCodeAt(p) === DASH && (p + 1 === end || this.text.charCodeAt(p + 1) === SPACE);
  }

  /** A block node starting at the cursor line (which callers checked is indented deeper than its parent). */
  private blockNode(): unknown {
    const li = this.cursor;
    const col = this.indents[li];
    const p = this.starts[li] + col;
    if (this.isDash(p, this.ends[li])) return this.sequence(col);
    return this.mapping(col, p);
  }

  // Nesting is bounded well below js-yaml's limit, so that js-yaml reports documents nested too deeply.
  private depth = 0;

  private sequence(col: number): unknown[] {
    if (++this.depth > MAX_DEPTH) throw BAIL;
    const out = this.sequenceItems(col);
    this.depth--;
    return out;
  }

  private mapping(col: number, firstKeyAt: number): Record<string, unknown> {
    if (++this.depth > MAX_DEPTH) throw BAIL;
    const out = this.mappingEntries(col, firstKeyAt);
    this.depth--;
    return out;
  }

  private sequenceItems(col: number): unknown[] {
    const base = this.top;
    const text = this.text;
    for (;;) {
      const li = this.cursor;
      const end = this.ends[li];
      let p = this.starts[li] + col + 1;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      let item: unknown;
      if (p === end || text.charCodeAt(p) === HASH) {
        item = this.nestedOrNull(li, col, false);
      } else if (this.isDash(p, end)) {
        throw BAIL;
      } else if (this.keyColon(p, end) >= 0) {
        item = this.mapping(p - this.starts[li], p);
      } else {
        item = this.inline(p, end, col);
        this.noContinuation(col);
      }
      // Nested sequences read above have given their part of `items` back by now.
      items[this.top++] = item;
      const ni = this.next(this.cursor);
      this.cursor = ni;
      if (ni >= this.count || this.indents[ni] < col) return this.takeItems(base);
      if (this.indents[ni] > col) throw BAIL;
      if (!this.isDash(this.starts[ni] + col, this.ends[ni])) return this.takeItems(base);
    }
  }

  /** The items collected since `base`, as an array of their own; `items` is then free from `base` on. */
  private takeItems(base: number): unknown[] {
    const out = items.slice(base, this.top);
    this.top = base;
    return out;
  }

  private mappingEntries(col: number, firstKeyAt: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const text = this.text;
    let p = firstKeyAt;
    for (;;) {
      const li = this.cursor;
      const end = this.ends[li];
      const colon = this.keyColon(p, end);
      if (colon < 0) throw BAIL;
      const key = this.key(p, colon);
      // a repeated key, or one of Object.prototype's names (js-yaml then decides)
      if (out[key] !== undefined || key === '__proto__' || key === '<<') throw BAIL;
      let v = colon + 1;
      while (v < end && text.charCodeAt(v) === SPACE) v++;
      if (v === end || text.charCodeAt(v) === HASH) {
        out[key] = this.nestedOrNull(li, col, true);
      } else {
        out[key] = this.inline(v, end, col);
        this.noContinuation(col);
      }
      const ni = this.next(this.cursor);
      this.cursor = ni;
      if (ni >= this.count || this.indents[ni] < col) return out;
      if (this.indents[ni] > col) throw BAIL;
      p = this.starts[ni] + col;
      if (this.isDash(p, this.ends[ni])) throw BAIL;
    }
  }

  /** The value of `key:` or `-` with nothing after it: a nested block, a compact sequence, or null. */
  private nestedOrNull(li: number, col: number, compactSeq: boolean): unknown {
    const ni = this.next(li + 1);
    if (ni < this.count) {
      const ind = this.indents[ni];
      if (ind > col) {
        this.cursor = ni;
        return this.blockNode();
      }
      if (compactSeq && ind === col && this.isDash(this.starts[ni] + col, this.ends[ni])) {
        this.cursor = ni;
        return this.sequence(col);
      }
    }
    this.cursor = li + 1;
    this.nulls++;
    return null;
  }

  /** After a single-line value owned by a node at `col`, more-indented content would continue it. */
  private noContinuation(col: number): void {
    const ni = this.next(this.cursor);
    if (ni < this.count && this.indents[ni] > col) throw BAIL;
  }

  /**
   * Where the `:` of a `key: value` entry starting at `p` is, or -1 when the line is not an entry.
   * Quoted keys end at their closing quote; plain keys at the first `: ` (or `:` at the end) before a comment.
   */
  private keyColon(p: number, end: number): number {
    const text = this.text;
    const c = text.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const close = text.indexOf(c === DQUOTE ? '"' : "'", p + 1);
      if (close < 0 || close >= end) return -1;
      let q = close + 1;
      while (q < end && text.charCodeAt(q) === SPACE) q++;
      return q < end && text.charCodeAt(q) === COLON && (q + 1 === end || text.charCodeAt(q + 1) === SPACE)
        ? q
        : -1;
    }
    for (let q = p; q < end; q++) {
      const d = text.charCodeAt(q);
      if (d === COLON && (q + 1 === end || text.charCodeAt(q + 1) === SPACE)) return q;
      if (d === HASH && text.charCodeAt(q - 1) === SPACE) return -1;
    }
    return -1;
  }

  private key(p: number, colon: number): string {
    const text = this.text;
    const c = text.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) return this.quoted(p, colon);
    if (INDICATOR[c]) throw BAIL;
    let e = colon;
    while (e > p && text.charCodeAt(e - 1) === SPACE) e--;
    const k = resolvePlain(text.slice(p, e));
    return typeof k === 'string' ? k : String(k);
  }

  /** A quoted scalar starting at `p` and closed before `limit`, without escapes (else js-yaml). */
  private quoted(p: number, limit: number): string {
    const text = this.text;
    const dq = text.charCodeAt(p) === DQUOTE;
    if (dq) {
      const close = text.indexOf('"', p + 1);
      if (close < 0 || close >= limit) throw BAIL;
      const slash = text.indexOf('\\', p + 1);
      if (slash >= 0 && slash < close) throw BAIL;
      this.quoteEnd = close + 1;
      return text.slice(p + 1, close);
    }
    let s = '';
    let from = p + 1;
    for (;;) {
      const close = text.indexOf("'", from);
      if (close < 0 || close >= limit) throw BAIL;
      if (text.charCodeAt(close + 1) === SQUOTE) {
        s += text.slice(from, close + 1);
        from = close + 2;
        continue;
      }
      this.quoteEnd = close + 1;
      return s + text.slice(from, close);
    }
  }

  private quoteEnd = 0;

  /** Only blanks or a comment may follow a value on its line. */
  private restOfLineEmpty(p: number, end: number): void {
    const text = this.text;
    while (p < end && text.charCodeAt(p) === SPACE) p++;
    if (p === end) return;
    if (text.charCodeAt(p) === HASH && text.charCodeAt(p - 1) === SPACE) return;
    throw BAIL;
  }

  /** A value on the rest of a line (owned by a node at column `col`). */
  private inline(p: number, end: number, col: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      const s = this.quoted(p, end);
      this.restOfLineEmpty(this.quoteEnd, end);
      this.cursor++;
      return s;
    }
    if (c === LBRACKET || c === LBRACE) {
      const v = this.flow(p, end);
      this.cursor++;
      return v;
    }
    if (c === PIPE) return this.literal(p, end, col);
    // `-` starts a plain scalar when a non-blank follows (`-3`, `-foo`); other indicators are syntax.
    if (INDICATOR[c] && !(c === DASH && p + 1 < end && text.charCodeAt(p + 1) !== SPACE)) throw BAIL;
    // A plain scalar runs to a comment or the end of the line; `: ` inside it is a mapping (an error).
    let stop = end;
    for (let q = p + 1; q < end; q++) {
      const d = text.charCodeAt(q);
      if (d === HASH && text.charCodeAt(q - 1) === SPACE) {
        stop = q;
        break;
      }
      if (d === COLON && (q + 1 === end || text.charCodeAt(q + 1) === SPACE)) throw BAIL;
    }
    while (stop > p && text.charCodeAt(stop - 1) === SPACE) stop--;
    this.cursor++;
    const v = resolvePlain(text.slice(p, stop));
    if (v === null) this.nulls++;
    return v;
  }

  /** `[]`, `{}`, or a flat single-line sequence of plain or quoted scalars. */
  private flow(p: number, end: number): unknown {
    const text = this.text;
    const open = text.charCodeAt(p);
    let q = p + 1;
    while (q < end && text.charCodeAt(q) === SPACE) q++;
    if (open === LBRACE) {
      if (text.charCodeAt(q) !== 125 /* } */) throw BAIL;
      this.restOfLineEmpty(q + 1, end);
      return {};
    }
    if (text.charCodeAt(q) === 93 /* ] */) {
      this.restOfLineEmpty(q + 1, end);
      return [];
    }
    const base = this.top;
    for (;;) {
      const c = text.charCodeAt(q);
      let after: number;
      if (c === DQUOTE || c === SQUOTE) {
        items[this.top++] = this.quoted(q, end);
        after = this.quoteEnd;
      } else {
        if (INDICATOR[c] || q >= end) throw BAIL;
        let e = q;
        for (; e < end; e++) {
          const d = text.charCodeAt(e);
          if (d === 44 /* , */ || d === 93 /* ] */) break;
          if (d === LBRACKET || d === LBRACE || d === 125 || d === COLON || d === HASH) throw BAIL;
        }
        after = e;
        while (e > q && text.charCodeAt(e - 1) === SPACE) e--;
        const v = resolvePlain(text.slice(q, e));
        if (v === null) this.nulls++;
        items[this.top++] = v;
      }
      while (after < end && text.charCodeAt(after) === SPACE) after++;
      const d = text.charCodeAt(after);
      if (d === 93) {
        this.restOfLineEmpty(after + 1, end);
        return this.takeItems(base);
      }
      if (d !== 44 || after >= end) throw BAIL;
      q = after + 1;
      while (q < end && text.charCodeAt(q) === SPACE) q++;
    }
  }

  /** A `|` or `|-` literal block scalar whose header is at `p`; its owner sits at column `col`. */
  private literal(p: number, end: number, col: number): string {
    const text = this.text;
    let h = p + 1;
    const strip = text.charCodeAt(h) === DASH;
    if (strip) h++;
    this.restOfLineEmpty(h, end);
    const first = this.next(this.cursor + 1);
    // Blank lines ahead of the content, or no content at all: js-yaml's rules are subtle there.
    if (first !== this.cursor + 1 || first >= this.count || this.indents[first] <= col) throw BAIL;
    const indent = this.indents[first];
    let s = '';
    let blanks = '';
    let li = first;
    for (; li < this.count; li++) {
      const start = this.starts[li];
      const len = this.ends[li] - start;
      if (this.kinds[li] === 0) {
        if (len > indent) throw BAIL; // a whitespace line that is content
        blanks += '\n';
        continue;
      }
      if (this.indents[li] < indent) {
        if (this.indents[li] > col) throw BAIL;
        break;
      }
      s += blanks + text.slice(start + indent, this.ends[li]) + '\n';
      blanks = '';
    }
    // A last line without its newline: chomping of an unterminated line is left to js-yaml.
    if (li >= this.count && text.charCodeAt(text.length - 1) !== 10) throw BAIL;
    this.cursor = li;
    return strip ? s.slice(0, -1) : s;
  }
}

export interface Located {
  /** How many segments of the path exist (0: not even the first). */
  depth: number;
  /** 0-based line index into the text of the deepest existing node. */
  line: number;
  /** 1-based column of that node. */
  column: number;
}

/**
 * Where a field path is in a document that `fastLoad` reads (the caller knows which those are): the
 * deepest node of the path that exists — a map key, a sequence item's value (where a nested block starts,
 * for an item on its own line), or an item of a one-line flow sequence. It follows the indentation of
 * the lines along the path and reads nothing else, so it costs a fraction of a parse. `UNSUPPORTED` for
 * text outside the subset.
 */
export function fastLocate(
  text: string,
  path: readonly PathSegment[],
  /** The text is one `fastLoad` has read (so its characters need no second check). */
  loaded = false,
): Located | typeof UNSUPPORTED {
  if (!loaded && OUTSIDE_SUBSET.test(text)) return UNSUPPORTED;
  try {
    return new Parser(text).locate(path);
  } catch (err) {
    if (err === BAIL) return UNSUPPORTED;
    throw err;
  }
}

/**
 * The document's value, or `UNSUPPORTED` when the text is outside the subset this parser handles.
 * `stats.nulls` is set to the number of null values in it.
 */
export function fastLoad(text: string, stats?: { nulls: number }): unknown {
  if (OUTSIDE_SUBSET.test(text)) return UNSUPPORTED;
  try {
    const parser = new Parser(text);
    const value = parser.document();
    if (stats) stats.nulls = parser.nulls;
    return value;
  } catch (err) {
    if (err === BAIL) return UNSUPPORTED;
    throw err;
  } finally {
    // A long sequence leaves `items` holding on to its values; let them go with their document.
    if (items.length > MAX_KEPT_ITEMS) items.length = 0;
  }
}
