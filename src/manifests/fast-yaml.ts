import jsYaml from 'js-yaml';
import type { PathSegment } from './path.js';
import { isYamlWord, KUBE_YAML_SCHEMA } from './yaml-schema.js';

/**
 * A fast parser for the block-style YAML that Kubernetes manifests almost always are. It accepts a
 * conservative subset — block mappings and sequences (also `- key: v` items and sequences at their key's
 * indentation), plain and single-line quoted scalars, comments, flow collections written on one line
 * (`{app: x}`, `[a, b]`, nested), `|`/`|-` literal and `>`/`>-` folded block scalars, anchors on values
 * and aliases as values (`labels: &labels {app: x}` … `labels: *labels`) — and returns exactly what
 * js-yaml returns for it with the loader's schema (KUBE_YAML_SCHEMA: Go's YAML 1.1 scalars, as kubectl
 * reads them; an alias gives the anchored value itself, as js-yaml does).
 * Anything else (tags, anchors on keys, merge keys, multi-line plain or flow scalars, escapes, tabs,
 * non-ASCII text, duplicate keys, null keys, `.inf`/`.nan`, …) makes it return `UNSUPPORTED` and the caller parses the document
 * with js-yaml, which also produces the error messages. The equivalence is checked by a differential
 * test against js-yaml.
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
const GT = 62;
const AMP = 38;
const STAR = 42;
const COMMA = 44;
const RBRACKET = 93;
const RBRACE = 125;

// Printable ASCII and line feeds only: tabs, carriage returns and non-ASCII text go to js-yaml.
const OUTSIDE_SUBSET = /[^\n\x20-\x7e]/;

// Characters that start YAML syntax this parser leaves to js-yaml when they begin a key or a value.
const INDICATOR = new Uint8Array(128);
for (const c of '-?:,[]{}#&*!|>\'"%@`') INDICATOR[c.charCodeAt(0)] = 1;

const scalarCache = new Map<string, string | number | boolean | null>();

/** What js-yaml (with the loader's schema, Go's reading of scalars) makes of a plain scalar. */
function resolvePlain(s: string): string | number | boolean | null {
  const c = s.charCodeAt(0);
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 47;
  if (letter && !(s.length <= 5 && isYamlWord(s))) return s;
  let v = scalarCache.get(s);
  if (v !== undefined || scalarCache.has(s)) return v as string | number | boolean | null;
  let parsed: unknown;
  try {
    parsed = jsYaml.load(s, { schema: KUBE_YAML_SCHEMA });
  } catch {
    throw BAIL;
  }
  // infinity and NaN have no JSON form: js-yaml's reading, and json-form.ts's check, decide
  if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw BAIL;
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

/** The parser whose lines the tables hold (each new parser refills them; every one is made through here). */
let tablesOwner: Parser | undefined;

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
  /** How many aliases the document uses (the loader then bounds what they expand to, as for js-yaml's). */
  aliases = 0;
  /** Anchored values by name (most documents have none). */
  private anchors: Map<string, unknown> | undefined;
  /** Locating: an alias whose anchor was not read (locating reads only part of the text) is no error. */
  private locating = false;
  /** The end of the used part of `items`. */
  private top = 0;
  /**
   * Locating: where the items of the sequences looked into start (a block sequence's by its first item's
   * line and column, a flow sequence's by its `[`), so that a document's findings on the items of one long
   * sequence cost one pass over it, not one pass each.
   */
  private blockItems: Map<number, number[]> | undefined;
  private flowItems: Map<number, { starts: number[]; bailed: boolean }> | undefined;

  constructor(readonly text: string) {
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
    const value = this.blockNode(li, 0);
    if (this.next(this.cursor) < this.count) throw BAIL;
    return value;
  }

  /** See `fastLocate`. */
  locate(path: readonly PathSegment[]): Located {
    this.locating = true;
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
        const line = this.blockItem(li, col, seg);
        if (line < 0) return found;
        const end = this.ends[line];
        const c = this.pastAnchor(this.skipSpaces(this.starts[line] + col + 1, end), end);
        at(d + 1, line, c);
        const first = text.charCodeAt(c);
        if (first === LBRACKET || first === LBRACE) {
          return this.flowItem(found, path, d + 1, line, c);
        } else if (c === end || first === HASH) {
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
        const v = this.pastAnchor(this.skipSpaces(colon + 1, end), end);
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

  /** The line of item `index` of the block sequence whose first item is on `first` (at `col`), or -1. */
  private blockItem(first: number, col: number, index: number): number {
    const key = first * 65536 + col;
    let lines = (this.blockItems ??= new Map()).get(key);
    if (!lines) this.blockItems.set(key, (lines = [first]));
    while (lines.length <= index) {
      const next = this.nextItem(lines[lines.length - 1]!, col);
      if (next < 0) return -1;
      lines.push(next);
    }
    return lines[index]!;
  }

  /**
   * Where item `index` of the one-line flow sequence whose `[` is at `open` starts, or -1 when it has no
   * such item. The items are read once, up to the end (or up to one this parser leaves to js-yaml, which
   * only a later item needs).
   */
  private flowItemStart(open: number, end: number, index: number): number {
    let seq = (this.flowItems ??= new Map()).get(open);
    if (!seq) {
      const text = this.text;
      seq = { starts: [], bailed: false };
      let q = this.skipSpaces(open + 1, end);
      try {
        while (text.charCodeAt(q) !== RBRACKET) {
          seq.starts.push(q);
          this.flowNode(q, end, 0);
          q = this.skipSpaces(this.flowEnd, end);
          if (text.charCodeAt(q) !== COMMA) break;
          q = this.skipSpaces(q + 1, end);
        }
      } catch (err) {
        if (err !== BAIL) throw err;
        seq.bailed = true;
      }
      this.flowItems.set(open, seq);
    }
    // an item that could not be read is still where a path to it leads: only the ones after it are unknown
    if (index < seq.starts.length) return seq.starts[index]!;
    if (seq.bailed) throw BAIL;
    return -1;
  }

  /**
   * An inline value at `v` holds no deeper node, except inside a one-line flow collection: there the path
   * goes on through its keys (located at the key) and items (located at the item).
   */
  private flowItem(
    found: Located,
    path: readonly PathSegment[],
    d: number,
    line: number,
    v: number,
  ): Located {
    const text = this.text;
    const end = this.ends[line];
    let q = v;
    for (; d < path.length; d++) {
      const seg = path[d];
      const open = text.charCodeAt(q);
      if (open === LBRACKET) {
        if (typeof seg !== 'number') return found;
        const item = this.flowItemStart(q, end, seg);
        if (item < 0) return found;
        q = this.pastAnchor(item, end);
      } else if (open === LBRACE) {
        q = this.skipSpaces(q + 1, end);
        for (;;) {
          if (text.charCodeAt(q) === RBRACE) return found;
          const keyAt = q;
          const colon = this.flowKey(q, end);
          const match = this.flowKeyText === String(seg);
          q = this.skipSpaces(colon + 1, end);
          if (match) {
            q = keyAt;
            break;
          }
          this.flowNode(q, end, 0);
          q = this.skipSpaces(this.flowEnd, end);
          if (text.charCodeAt(q) !== COMMA) return found;
          q = this.skipSpaces(q + 1, end);
        }
        found.depth = d + 1;
        found.line = line;
        found.column = q - this.starts[line] + 1;
        q = this.pastAnchor(this.skipSpaces(this.flowKey(q, end) + 1, end), end);
        continue;
      } else {
        return found;
      }
      found.depth = d + 1;
      found.line = line;
      found.column = q - this.starts[line] + 1;
    }
    return found;
  }

  private skipSpaces(q: number, end: number): number {
    while (q < end && this.text.charCodeAt(q) === SPACE) q++;
    return q;
  }

  /** Where the last anchor or alias name ended (past an anchor's blanks: see `anchor`). */
  private nameEnd = 0;

  /**
   * An anchor or alias name starting at `p`: letters, digits, `_`, `-` and `.` (js-yaml takes more; such
   * names are left to it). Sets `nameEnd`.
   */
  private anchorName(p: number, end: number): string {
    const text = this.text;
    let e = p;
    for (; e < end; e++) {
      const c = text.charCodeAt(e);
      if (!(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 57) ||
        c === 95 ||
        c === 45 ||
        c === 46
      ))
        break;
    }
    const next = text.charCodeAt(e);
    if (e === p || (e < end && next !== SPACE && next !== COMMA && next !== RBRACKET && next !== RBRACE))
      throw BAIL;
    this.nameEnd = e;
    return text.slice(p, e);
  }

  /** The value an alias `*name` (name at `p`) stands for; sets `nameEnd`. */
  private alias(p: number, end: number): unknown {
    const name = this.anchorName(p, end);
    this.aliases++;
    if (this.anchors?.has(name)) {
      const v = this.anchors.get(name);
      if (v === null) this.nulls++;
      return v;
    }
    // js-yaml reports an alias to no anchor; locating reads only part of the text, so it may not have seen it
    if (!this.locating) throw BAIL;
    return null;
  }

  /**
   * The name of the anchor `&name` at `p`; `nameEnd` is then where its node starts (past the blanks). A
   * blank must follow the name, and the node must not be another anchor or an alias: js-yaml's rules
   * there are subtle, so such documents are left to it.
   */
  private anchor(p: number, end: number): string {
    const name = this.anchorName(p + 1, end);
    const q = this.skipSpaces(this.nameEnd, end);
    const n = this.text.charCodeAt(q);
    if (q < end && (q === this.nameEnd || n === AMP || n === STAR)) throw BAIL;
    this.nameEnd = q;
    return name;
  }

  /** Records an anchored value (for the aliases after it) and returns it. */
  private remember(name: string, value: unknown): unknown {
    (this.anchors ??= new Map()).set(name, value);
    return value;
  }

  /** Past an anchor (`&name` and the blanks after it) at `q`, if there is one. */
  private pastAnchor(q: number, end: number): number {
    if (this.text.charCodeAt(q) !== AMP) return q;
    this.anchor(q, end);
    return this.nameEnd;
  }

  /** The first content line at or after `li`. */
  private next(li: number): number {
    while (li < this.count && this.kinds[li] !== 2) li++;
    return li;
  }

  private isDash(p: number, end: number): boolean {
    return this.text.charCodeAt(p) === DASH && (p + 1 === end || this.text.charCodeAt(p + 1) === SPACE);
  }

  /** A block node on line `li` at column `col` (callers checked it is indented deeper than its parent). */
  private blockNode(li: number, col: number): unknown {
    this.cursor = li;
    const p = this.starts[li] + col;
    return this.isDash(p, this.ends[li]) ? this.sequence(col) : this.mapping(col, p);
  }

  // Nesting is bounded well below js-yaml's limit, so that js-yaml reports documents nested too deeply.
  private depth = 0;

  private sequence(col: number): unknown[] {
    if (++this.depth > MAX_DEPTH) throw BAIL;
    const base = this.top;
    const text = this.text;
    for (;;) {
      const li = this.cursor;
      const end = this.ends[li];
      const p = this.skipSpaces(this.starts[li] + col + 1, end);
      const c = text.charCodeAt(p);
      let item: unknown;
      if (p === end || c === HASH) {
        item = this.nestedOrNull(li, col, false);
      } else if (this.isDash(p, end)) {
        throw BAIL;
      } else if (c !== LBRACKET && c !== LBRACE && c !== AMP && c !== STAR && this.keyColon(p, end) >= 0) {
        item = this.mapping(p - this.starts[li], p);
      } else {
        item = this.inline(p, end, col, false);
        this.noContinuation(col);
      }
      // Nested sequences read above have given their part of `items` back by now.
      items[this.top++] = item;
      const ni = this.next(this.cursor);
      this.cursor = ni;
      if (ni >= this.count || this.indents[ni] < col) break;
      if (this.indents[ni] > col) throw BAIL;
      if (!this.isDash(this.starts[ni] + col, this.ends[ni])) break;
    }
    this.depth--;
    return this.takeItems(base);
  }

  /** The items collected since `base`, as an array of their own (`items` is then free from `base` on). */
  private takeItems(base: number): unknown[] {
    const out = items.slice(base, this.top);
    this.top = base;
    return out;
  }

  private mapping(col: number, firstKeyAt: number): Record<string, unknown> {
    if (++this.depth > MAX_DEPTH) throw BAIL;
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
      const v = this.skipSpaces(colon + 1, end);
      if (v === end || text.charCodeAt(v) === HASH) {
        out[key] = this.nestedOrNull(li, col, true);
      } else {
        out[key] = this.inline(v, end, col, true);
        this.noContinuation(col);
      }
      const ni = this.next(this.cursor);
      this.cursor = ni;
      if (ni >= this.count || this.indents[ni] < col) break;
      if (this.indents[ni] > col) throw BAIL;
      p = this.starts[ni] + col;
      if (this.isDash(p, this.ends[ni])) throw BAIL;
    }
    this.depth--;
    return out;
  }

  /** The value of `key:` or `-` with nothing after it: a nested block, a compact sequence, or null. */
  private nestedOrNull(li: number, col: number, compactSeq: boolean): unknown {
    const ni = this.next(li + 1);
    if (ni < this.count) {
      const ind = this.indents[ni];
      if (ind > col) return this.blockNode(ni, ind);
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
    if (k === null) throw BAIL; // a null key has no JSON form (json-form.ts)
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
    p = this.skipSpaces(p, end);
    if (p === end) return;
    if (text.charCodeAt(p) === HASH && text.charCodeAt(p - 1) === SPACE) return;
    throw BAIL;
  }

  /**
   * A value on the rest of a line (owned by a node at column `col`; `compactSeq`: a mapping's value, which
   * may be a sequence at the key's own indentation). An anchored value may also be a block on the next
   * lines (`key: &name` alone on its line).
   */
  private inline(p: number, end: number, col: number, compactSeq: boolean): unknown {
    const text = this.text;
    const c = text.charCodeAt(p);
    if (c === AMP) {
      const name = this.anchor(p, end);
      const q = this.nameEnd;
      return this.remember(
        name,
        q === end || text.charCodeAt(q) === HASH
          ? this.nestedOrNull(this.cursor, col, compactSeq)
          : this.inline(q, end, col, compactSeq),
      );
    }
    if (c === STAR) {
      const v = this.alias(p + 1, end);
      this.restOfLineEmpty(this.nameEnd, end);
      this.cursor++;
      return v;
    }
    if (c === DQUOTE || c === SQUOTE) {
      const s = this.quoted(p, end);
      this.restOfLineEmpty(this.quoteEnd, end);
      this.cursor++;
      return s;
    }
    if (c === LBRACKET || c === LBRACE) {
      const v = this.flowNode(p, end, this.depth);
      this.restOfLineEmpty(this.flowEnd, end);
      this.cursor++;
      return v;
    }
    if (c === PIPE || c === GT) return this.blockScalar(p, end, col, c === GT);
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

  /** Where the last `flowNode` ended (just past the node). */
  private flowEnd = 0;

  /**
   * A node inside a one-line flow collection, or the collection itself, starting at `q` and closed before
   * `end`: plain or quoted scalars, `[...]` and `{key: value, ...}` nested (`depth` bounds the nesting).
   * Anything subtler (a comment, a key without value, a trailing comma, `:` in a plain scalar, a line
   * break) is left to js-yaml.
   */
  private flowNode(q: number, end: number, depth: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(q);
    if (c === AMP) {
      const name = this.anchor(q, end);
      const r = this.nameEnd;
      const n = text.charCodeAt(r);
      // an anchored empty node (`[&a, b]`, a null) is left to js-yaml
      if (r >= end || n === COMMA || n === RBRACKET || n === RBRACE) throw BAIL;
      return this.remember(name, this.flowNode(r, end, depth));
    }
    if (c === STAR) {
      const v = this.alias(q + 1, end);
      this.flowEnd = this.nameEnd;
      return v;
    }
    if (c === LBRACKET || c === LBRACE) {
      if (depth + 1 > MAX_DEPTH) throw BAIL;
      const isMap = c === LBRACE;
      const close = isMap ? RBRACE : RBRACKET;
      let p = this.skipSpaces(q + 1, end);
      const out: Record<string, unknown> = {};
      const base = this.top;
      if (text.charCodeAt(p) !== close) {
        for (;;) {
          if (isMap) {
            const colon = this.flowKey(p, end);
            const key = this.flowKeyText;
            if (out[key] !== undefined || key === '__proto__' || key === '<<') throw BAIL;
            out[key] = this.flowNode(this.skipSpaces(colon + 1, end), end, depth + 1);
          } else {
            items[this.top++] = this.flowNode(p, end, depth + 1);
          }
          p = this.skipSpaces(this.flowEnd, end);
          const d = text.charCodeAt(p);
          if (d === close) break;
          if (d !== COMMA) throw BAIL;
          p = this.skipSpaces(p + 1, end);
          const n = text.charCodeAt(p);
          if (n === RBRACKET || n === RBRACE || n === COMMA) throw BAIL;
        }
      }
      this.flowEnd = p + 1;
      return isMap ? out : this.takeItems(base);
    }
    if (c === DQUOTE || c === SQUOTE) {
      const s = this.quoted(q, end);
      this.flowEnd = this.quoteEnd;
      return s;
    }
    if (q >= end || (INDICATOR[c] && !(c === DASH && q + 1 < end && text.charCodeAt(q + 1) !== SPACE)))
      throw BAIL;
    let e = q;
    for (; e < end; e++) {
      const d = text.charCodeAt(e);
      if (d === COMMA || d === RBRACKET || d === RBRACE) break;
      if (d === LBRACKET || d === LBRACE || d === COLON || d === HASH) throw BAIL;
    }
    this.flowEnd = e;
    while (e > q && text.charCodeAt(e - 1) === SPACE) e--;
    const v = resolvePlain(text.slice(q, e));
    if (v === null) this.nulls++;
    return v;
  }

  /** The key read by the last `flowKey`. */
  private flowKeyText = '';

  /** A `key: ` of a flow mapping at `p`: sets `flowKeyText`, returns where its `:` is. */
  private flowKey(p: number, end: number): number {
    const text = this.text;
    const k = text.charCodeAt(p);
    let after: number;
    if (k === DQUOTE || k === SQUOTE) {
      this.flowKeyText = this.quoted(p, end);
      after = this.quoteEnd;
    } else {
      if (p >= end || INDICATOR[k]) throw BAIL;
      let e = p;
      for (; e < end; e++) {
        const d = text.charCodeAt(e);
        if (d === COLON) break;
        if (d === COMMA || d === RBRACKET || d === RBRACE || d === LBRACKET || d === LBRACE || d === HASH)
          throw BAIL;
      }
      after = e;
      while (e > p && text.charCodeAt(e - 1) === SPACE) e--;
      const key = resolvePlain(text.slice(p, e));
      if (key === null) throw BAIL;
      this.flowKeyText = typeof key === 'string' ? key : String(key);
    }
    after = this.skipSpaces(after, end);
    // `key: value` only: a key without value, or `key:value`, is left to js-yaml.
    if (text.charCodeAt(after) !== COLON || text.charCodeAt(after + 1) !== SPACE) throw BAIL;
    return after;
  }

  /**
   * A `|`/`|-` literal or `>`/`>-` folded block scalar whose header is at `p`; its owner sits at column
   * `col`. Folded lines are joined with a space, blank lines between them kept as line breaks; a folded
   * scalar with more-indented lines is left to js-yaml.
   */
  private blockScalar(p: number, end: number, col: number, folded: boolean): string {
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
      const content = text.slice(start + indent, this.ends[li]);
      if (!folded) s += blanks + content + '\n';
      else if (this.indents[li] > indent) throw BAIL;
      else s = s === '' ? content : s + (blanks === '' ? ' ' : blanks) + content;
      blanks = '';
    }
    // A last line without its newline: chomping of an unterminated line is left to js-yaml.
    if (li >= this.count && text.charCodeAt(text.length - 1) !== 10) throw BAIL;
    this.cursor = li;
    if (folded) return strip ? s : s + '\n';
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
    // A document's findings are located one after another: its line tables are built once for them all.
    if (tablesOwner?.text !== text) tablesOwner = new Parser(text);
    return tablesOwner.locate(path);
  } catch (err) {
    if (err === BAIL) return UNSUPPORTED;
    throw err;
  }
}

/**
 * The document's value, or `UNSUPPORTED` when the text is outside the subset this parser handles.
 * `stats.nulls` is set to the number of null values in it.
 */
export function fastLoad(text: string, stats?: { nulls: number; aliases?: number }): unknown {
  if (OUTSIDE_SUBSET.test(text)) return UNSUPPORTED;
  try {
    const parser = (tablesOwner = new Parser(text));
    const value = parser.document();
    if (stats) {
      stats.nulls = parser.nulls;
      stats.aliases = parser.aliases;
    }
    return value;
  } catch (err) {
    if (err === BAIL) return UNSUPPORTED;
    throw err;
  } finally {
    // A long sequence leaves `items` holding on to its values; let them go with their document.
    if (items.length > MAX_KEPT_ITEMS) items.length = 0;
  }
}
