/**
 * JSON value -> YAML text the way istioctl prints `-o yaml` (sigs.k8s.io/yaml over go-yaml v2 and its
 * libyaml-derived emitter): map keys in go-yaml's "natural" order, 2-space indent, sequences not
 * indented under their key, strings quoted only when YAML 1.1 would read them as something else
 * (double quotes) or when plain style is impossible (single quotes), multi-line strings as literal
 * blocks, and long scalars folded at spaces beyond column 80.
 */

import { exactText } from './exact-numbers.js';

const BEST_WIDTH = 80;
const INDENT = 2;

// ---- YAML 1.1 resolution (what go-yaml v2 would read back from a plain scalar) ----

const RESOLVE_TO_OTHER = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN',
  '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
  '<<',
]); // prettier-ignore

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP = [
  /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  /^(\d{4})-(\d{1,2})-(\d{1,2}) \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/,
  /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
];

function isTimestamp(s: string): boolean {
  for (const re of TIMESTAMP) {
    const m = re.exec(s);
    if (!m) continue;
    const month = Number(m[2]);
    const day = Number(m[3]);
    const days = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
    if (month >= 1 && month <= 12 && day >= 1 && day <= days) return true;
  }
  return false;
}

/** True when a plain scalar with this text would not read back as the same string. */
function resolvesToNonString(s: string): boolean {
  if (RESOLVE_TO_OTHER.has(s)) return true;
  const c = s[0]!;
  if (c === '.') return YAML_FLOAT.test(s);
  if ((c >= '0' && c <= '9') || c === '+' || c === '-') {
    if (isTimestamp(s)) return true;
    const plain = s.replace(/_/g, '');
    return GO_INT.test(plain) || YAML_FLOAT.test(plain) || /^-?0b[01]+$/.test(plain);
  }
  return false;
}

// ---- scalar analysis (which styles the emitter allows) ----

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  blockAllowed: boolean;
}

const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankz = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c);

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function analyze(s: string): Analysis {
  if (s === '') return { multiline: false, blockPlain: true, singleQuoted: true, blockAllowed: false };
  const chars = Array.from(s);
  // only block context is emitted here, so only block indicators matter
  let blockInd = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  let precededByWs = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const followedByWs = isBlankz(chars[i + 1]);
    const first = i === 0;
    const last = i === chars.length - 1;
    if (first) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockInd = true;
      if ((ch === '?' || ch === ':' || ch === '-') && followedByWs) blockInd = true;
    } else {
      if (ch === ':' && followedByWs) blockInd = true;
      if (ch === '#' && precededByWs) blockInd = true;
    }
    if (!isPrintable(ch.codePointAt(0)!)) special = true;
    if (isBreak(ch)) lineBreaks = true;
    if (ch === ' ') {
      if (first) leadingSpace = true;
      if (last) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(ch)) {
      if (first) leadingBreak = true;
      if (last) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevBreak = true;
      prevSpace = false;
    } else {
      prevSpace = prevBreak = false;
    }
    precededByWs = isBlankz(ch);
  }
  let blockPlain = true;
  let singleQuoted = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) blockPlain = singleQuoted = false;
  if (spaceBreak || special) blockPlain = singleQuoted = blockAllowed = false;
  if (lineBreaks) blockPlain = false;
  if (blockInd) blockPlain = false;
  return { multiline: lineBreaks, blockPlain, singleQuoted, blockAllowed };
}

type Style = 'plain' | 'single' | 'double' | 'literal';

/**
 * Text whose analysis is known without a pass over its characters: printable ASCII without spaces, line
 * breaks or any character that is an indicator where it stands (`:`, `#`, and first characters such as
 * `-`, `.`, `@`, `*`), so plain style is possible and its only question is how YAML 1.1 would read it.
 * Most of a dump's scalars (names, addresses, type URLs, base64) are such text.
 */
const PLAIN_SAFE = /^[A-Za-z0-9_/][A-Za-z0-9_./|@=+~,;()$^<>?-]*$/;

function chooseStyle(s: string, simpleKey: boolean): Style {
  if (PLAIN_SAFE.test(s)) return resolvesToNonString(s) || BASE60_FLOAT.test(s) ? 'double' : 'plain';
  let style: Style;
  if (s.includes('\n')) style = 'literal';
  else if (!resolvesToNonString(s) && !BASE60_FLOAT.test(s)) style = 'plain';
  else style = 'double';
  const a = analyze(s);
  if (style === 'plain') {
    if (!a.blockPlain || (s === '' && simpleKey) || (simpleKey && a.multiline)) style = 'single';
  }
  if (style === 'single' && !a.singleQuoted) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
  return style;
}

// ---- writer ----

/** Text kept as one string until it is this long, then stored as bytes (see `Out`). */
const CHUNK = 1 << 16;

/**
 * The YAML being written. Text is appended in small pieces; a string grown by `+=` is a tree of every
 * piece appended (≈ 30 bytes each, many per output byte when scalars are written character by character),
 * which the garbage collector walks again and again until the end: 4 GB and 57 s for a 150 MB document.
 * So the text is kept as a string only up to `CHUNK` characters, then encoded into a Buffer, and the
 * pieces left to the young generation.
 */
class Out {
  private chunks: Buffer[] = [];
  private current = '';
  /** The text ends with a line break. */
  atLineStart = false;
  column = 0;
  /** True right after whitespace or an indicator (nothing needs separating). */
  whitespace = true;
  write(s: string): void {
    if (s === '') return;
    this.current += s;
    this.column += codePoints(s);
    this.atLineStart = false;
    if (this.current.length >= CHUNK) this.flush();
  }
  newline(): void {
    this.write('\n');
    this.atLineStart = true;
    this.column = 0;
    this.whitespace = true;
  }
  /** A break plus indentation (libyaml's write_indent when mid-line). */
  indent(n: number): void {
    this.newline();
    this.write(' '.repeat(n));
    this.whitespace = true;
  }
  private flush(): void {
    this.chunks.push(Buffer.from(this.current, 'utf8'));
    this.current = '';
  }
  /** Everything written, as one string. */
  text(): string {
    if (this.chunks.length === 0) return this.current;
    return Buffer.concat(this.bytes()).toString('utf8');
  }
  /** Everything written, as UTF-8 in pieces (for a text that may not fit in one string). */
  bytes(): Buffer[] {
    if (this.current !== '') this.flush();
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }
}

/** The number of code points of a string (a surrogate pair is one), as Go counts a column's runes. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

function hex(cp: number, digits: number): string {
  return cp.toString(16).toUpperCase().padStart(digits, '0');
}

/** How each simple key is written (it never folds, so its text is the same wherever it stands). */
const KEYS = new Map<string, string>();
const MAX_KEYS = 10_000;

function writeKey(out: Out, k: string): void {
  let text = KEYS.get(k);
  if (text === undefined) {
    const alone = new Out();
    writeScalar(alone, k, 0, true);
    text = alone.text();
    if (KEYS.size < MAX_KEYS) KEYS.set(k, text);
  }
  out.write(text);
  out.whitespace = false;
}

/** A double-quoted scalar's text between its quotes, when it has no space (so it never folds). */
function doubleQuotedWithoutSpaces(s: string): string {
  let text = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    const wide = cp > 0xffff;
    if (
      !isPrintable(cp) ||
      cp === 0xfeff ||
      cp === 0x0a ||
      cp === 0x0d ||
      cp === 0x85 ||
      cp === 0x2028 ||
      cp === 0x2029 ||
      cp === 0x22 ||
      cp === 0x5c
    ) {
      const e = ESCAPES[cp];
      text += s.slice(from, i);
      text +=
        '\\' + (e ?? (cp <= 0xff ? `x${hex(cp, 2)}` : cp <= 0xffff ? `u${hex(cp, 4)}` : `U${hex(cp, 8)}`));
      from = i + (wide ? 2 : 1);
    }
    if (wide) i++;
  }
  return text + s.slice(from);
}

function writeScalar(out: Out, s: string, indent: number, simpleKey: boolean): void {
  const style = chooseStyle(s, simpleKey);
  const allowBreaks = !simpleKey;
  // only a space can fold a line: without one a quoted or plain scalar is written whole
  if (style !== 'literal' && !s.includes(' ')) {
    if (style === 'plain') out.write(s);
    else if (style === 'single') out.write(`'${s.replaceAll("'", "''")}'`);
    else out.write(`"${doubleQuotedWithoutSpaces(s)}"`);
    out.whitespace = false;
    return;
  }
  const chars = Array.from(s);
  if (style === 'plain') {
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && out.column > BEST_WIDTH && chars[i + 1] !== ' ') out.indent(indent);
        else out.write(ch);
        spaces = true;
      } else {
        out.write(ch);
        spaces = false;
      }
    }
  } else if (style === 'single') {
    out.write("'");
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        const canBreak = i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ';
        if (allowBreaks && !spaces && out.column > BEST_WIDTH && canBreak) out.indent(indent);
        else out.write(ch);
        spaces = true;
      } else {
        out.write(ch === "'" ? "''" : ch);
        spaces = false;
      }
    }
    out.write("'");
  } else if (style === 'double') {
    out.write('"');
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      const cp = ch.codePointAt(0)!;
      if (!isPrintable(cp) || cp === 0xfeff || isBreak(ch) || ch === '"' || ch === '\\') {
        const e = ESCAPES[cp];
        out.write(
          '\\' + (e ?? (cp <= 0xff ? `x${hex(cp, 2)}` : cp <= 0xffff ? `u${hex(cp, 4)}` : `U${hex(cp, 8)}`)),
        );
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && out.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
          out.indent(indent);
          if (chars[i + 1] === ' ') out.write('\\');
        } else {
          out.write(ch);
        }
        spaces = true;
      } else {
        out.write(ch);
        spaces = false;
      }
    }
    out.write('"');
  } else {
    let hints = '|';
    if (s[0] === ' ' || isBreak(s[0]!)) hints += String(INDENT);
    if (!s.endsWith('\n')) hints += '-';
    else if (s === '\n' || s.endsWith('\n\n')) hints += '+';
    out.write(hints);
    out.newline();
    // each line indented, empty ones left empty
    s.split('\n').forEach((line, i) => {
      if (i > 0) out.newline();
      if (line !== '') out.write(' '.repeat(indent) + line);
    });
    out.whitespace = true; // a literal block leaves the cursor at a fresh line or after content
    return;
  }
  out.whitespace = false;
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64) as go-yaml prints floats. */
function formatNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const [mant, expStr] = n.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  if (exp < -4 || exp >= 21) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

function isScalar(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length === 0;
  return true;
}

function writeAtom(out: Out, v: unknown, indent: number): void {
  if (v === null || v === undefined) out.write('null');
  else if (typeof v === 'boolean') out.write(String(v));
  else if (typeof v === 'number') out.write(formatNumber(v));
  // a number kept as its text (exact-numbers.ts)
  else if (exactText(v) !== undefined) out.write(exactText(v)!);
  else if (typeof v === 'string') return writeScalar(out, v, indent, false);
  else if (Array.isArray(v)) out.write('[]');
  else out.write('{}');
  out.whitespace = false;
}

/** go-yaml v2's key order: letters after other characters, digit runs compared by value. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && /\p{Nd}/u.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai]!.charCodeAt(0) - 48);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi]!.charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => (a === b ? 0 : goYamlKeyLess(a, b) ? -1 : 1));
}

/** Writes a non-empty collection; its first line continues at the cursor when that is already indented. */
function writeBlock(out: Out, v: unknown, indent: number): void {
  const startLine = () => {
    if (out.column > indent || (out.column === indent && !out.whitespace)) out.indent(indent);
    else out.write(' '.repeat(indent - out.column));
  };
  if (Array.isArray(v)) {
    v.forEach((item) => {
      startLine();
      out.write('- ');
      out.whitespace = true;
      if (isScalar(item)) writeAtom(out, item, indent + INDENT);
      else writeBlock(out, item, indent + INDENT);
    });
    return;
  }
  const o = v as Record<string, unknown>;
  sortedKeys(o).forEach((k) => {
    startLine();
    const child = o[k];
    if (isSimpleKey(k)) {
      writeKey(out, k);
    } else {
      // long or multi-line keys use the explicit `? key` / `: value` form
      out.write('? ');
      writeScalar(out, k, indent + INDENT, false);
      startLine();
    }
    out.write(':');
    out.whitespace = false;
    if (isScalar(child)) {
      out.write(' ');
      writeAtom(out, child, indent + INDENT);
    } else {
      // sequences are not indented under their key; mappings are
      writeBlock(out, child, Array.isArray(child) ? indent : indent + INDENT);
    }
  });
}

function isSimpleKey(k: string): boolean {
  return Buffer.byteLength(k) <= 128 && !Array.from(k).some(isBreak);
}

function document(value: unknown): Out {
  const out = new Out();
  if (isScalar(value)) writeAtom(out, value, INDENT);
  else writeBlock(out, value, 0);
  // like libyaml's document end: break only when the last line is not already terminated
  if (!(out.column === 0 && out.atLineStart)) out.newline();
  return out;
}

/** The YAML document for a JSON value, ending with a newline. */
export function toGoYaml(value: unknown): string {
  return document(value).text();
}

/**
 * `toGoYaml(value)` in pieces, for a document that may be longer than a JavaScript string can be
 * (≈ 512 MiB): the text of each of the writer's chunks (each holds whole characters), let go once handed out.
 */
export function* toGoYamlPieces(value: unknown): Generator<string> {
  const chunks = document(value).bytes();
  for (let i = 0; i < chunks.length; i++) {
    const text = chunks[i]!.toString('utf8');
    chunks[i] = EMPTY;
    yield text;
  }
}

const EMPTY = Buffer.alloc(0);
