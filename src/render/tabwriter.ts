/**
 * A re-implementation of Go's text/tabwriter, byte for byte, so that tables match istioctl's
 * (`tabwriter.NewWriter(out, minwidth, tabwidth, padding, padchar, flags)` + Fprintln of `\t`-joined cells).
 *
 * Text is split into cells at `\t` (tab-terminated cell), `\v` (soft cell), `\n` and `\f` (line ends).
 * Column widths are computed per column block (a run of consecutive lines that all have a
 * tab-terminated cell at that index); the last cell of a line is never padded. A line with a single
 * cell, or a `\f`, flushes what is buffered. Widths count runes (UTF-8), like Go.
 *
 * Only what the commands use is kept: none of Go's flags (FilterHTML, StripEscape, AlignRight,
 * DiscardEmptyColumns, TabIndent, Debug) nor the 0xff escape byte. Work happens on UTF-8 bytes, so widths
 * count runes as Go's do; `write` accepts strings or bytes and `flush` returns bytes.
 */
import { ExitCode, MeshError } from '../util/errors.js';
import { CONTROL, escapeControl } from './escape.js';

export interface TabWriterOptions {
  minwidth?: number;
  tabwidth?: number;
  padding?: number;
  /** A single ASCII character; `\t` pads with tabs. */
  padchar?: string;
}

interface Cell {
  size: number; // bytes
  width: number; // runes
}

const NL = 0x0a;
const TAB = 0x09;
const VTAB = 0x0b;
const FF = 0x0c;

/** Number of runes in bytes[from, to), counting each invalid byte as one rune (as utf8.RuneCount does). */
function runeCount(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  while (i < to) {
    const b = bytes[i]!;
    let len = 1;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) len = 3;
    else if (b >= 0xf0 && b <= 0xf4) len = 4;
    if (len > 1 && i + len <= to && validSequence(bytes, i, len)) i += len;
    else i += 1;
    n++;
  }
  return n;
}

function validSequence(bytes: Uint8Array, i: number, len: number): boolean {
  const b0 = bytes[i]!;
  const b1 = bytes[i + 1]!;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 === 0xe0) lo = 0xa0;
  else if (b0 === 0xed) hi = 0x9f;
  else if (b0 === 0xf0) lo = 0x90;
  else if (b0 === 0xf4) hi = 0x8f;
  if (b1 < lo || b1 > hi) return false;
  for (let k = 2; k < len; k++) {
    const c = bytes[i + k]!;
    if (c < 0x80 || c > 0xbf) return false;
  }
  return true;
}

/** Growable byte buffer. */
class Bytes {
  data = new Uint8Array(1024);
  length = 0;
  private ensure(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(src: Uint8Array, from = 0, to = src.length): void {
    const n = to - from;
    if (n <= 0) return;
    this.ensure(n);
    this.data.set(src.subarray(from, to), this.length);
    this.length += n;
  }
  fill(byte: number, n: number): void {
    if (n <= 0) return;
    this.ensure(n);
    this.data.fill(byte, this.length, this.length + n);
    this.length += n;
  }
  take(): Buffer {
    return Buffer.from(this.data.buffer, this.data.byteOffset, this.length);
  }
}

export class TabWriter {
  private readonly minwidth: number;
  private readonly tabwidth: number;
  private readonly padding: number;
  private readonly padbyte: number;

  private buf = new Bytes();
  private pos = 0;
  private cell: Cell = { size: 0, width: 0 };
  private lines: Cell[][] = [[]];
  private widths: number[] = [];
  private out = new Bytes();

  constructor(opts: TabWriterOptions = {}) {
    const { minwidth = 0, tabwidth = 8, padding = 1, padchar = ' ' } = opts;
    if (minwidth < 0 || tabwidth < 0 || padding < 0)
      throw new RangeError('negative minwidth, tabwidth, or padding');
    if (padchar.length !== 1 || padchar.charCodeAt(0) > 0x7f)
      throw new RangeError('padchar must be one ASCII character');
    this.minwidth = minwidth;
    this.tabwidth = tabwidth;
    this.padding = padding;
    this.padbyte = padchar.charCodeAt(0);
  }

  /** Appends text (strings are UTF-8 encoded). Complete lines may be formatted right away. */
  write(text: string | Uint8Array): this {
    const src = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let n = 0;
    for (let i = 0; i < src.length; i++) {
      const ch = src[i]!;
      if (ch !== TAB && ch !== VTAB && ch !== NL && ch !== FF) continue;
      this.append(src, n, i);
      this.updateWidth();
      n = i + 1;
      const ncells = this.terminateCell();
      if (ch === NL || ch === FF) {
        this.lines.push([]);
        if (ch === FF || ncells === 1) this.flushLines();
      }
    }
    this.append(src, n, src.length);
    return this;
  }

  /** Formats everything buffered and returns all output produced since the last flush. */
  flush(): Buffer {
    this.flushLines();
    const result = Buffer.from(this.out.take());
    this.out = new Bytes();
    return result;
  }

  /** Convenience: flush and decode as UTF-8. */
  toString(): string {
    return this.flush().toString('utf8');
  }

  private append(src: Uint8Array, from: number, to: number): void {
    this.buf.push(src, from, to);
    this.cell.size += to - from;
  }

  private updateWidth(): void {
    this.cell.width += runeCount(this.buf.data, this.pos, this.buf.length);
    this.pos = this.buf.length;
  }

  private terminateCell(): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push(this.cell);
    this.cell = { size: 0, width: 0 };
    return line.length;
  }

  private flushLines(): void {
    if (this.cell.size > 0) this.terminateCell();
    this.format(0, 0, this.lines.length);
    this.buf = new Bytes();
    this.pos = 0;
    this.cell = { size: 0, width: 0 };
    this.lines = [[]];
    this.widths = [];
  }

  private writePadding(textw: number, cellw: number): void {
    if (this.padbyte === TAB) {
      if (this.tabwidth === 0) return;
      const w = Math.ceil(cellw / this.tabwidth) * this.tabwidth;
      const n = w - textw;
      if (n < 0) throw new Error('tabwriter: internal error');
      this.out.fill(TAB, Math.ceil(n / this.tabwidth));
      return;
    }
    this.out.fill(this.padbyte, cellw - textw);
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    const data = this.buf.data;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      for (let j = 0; j < line.length; j++) {
        const c = line[j]!;
        this.out.push(data, pos, pos + c.size);
        pos += c.size;
        if (j < this.widths.length) this.writePadding(c.width, this.widths[j]!);
      }
      if (i + 1 === this.lines.length) {
        this.out.push(data, pos, pos + this.cell.size);
        pos += this.cell.size;
      } else {
        this.out.fill(NL, 1);
      }
    }
    return pos;
  }

  private format(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    const column = this.widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= this.lines[row]!.length - 1) continue;
      pos = this.writeLines(pos, line0, row);
      line0 = row;
      let width = this.minwidth;
      for (; row < line1; row++) {
        const line = this.lines[row]!;
        if (column >= line.length - 1) break;
        const c = line[column]!;
        if (c.width + this.padding > width) width = c.width + this.padding;
      }
      this.widths.push(width);
      pos = this.format(pos, line0, row);
      this.widths.pop();
      line0 = row;
    }
    return this.writeLines(pos, line0, line1);
  }
}

/** Characters that need a closer look: anything but printable ASCII (controls, non-ASCII: rune count). */
const NOT_PLAIN = /[^\x20-\x7e]/;
/** The same minus the line feed, for checking a whole rendered table (whose rows end in line feeds). */
const NOT_PLAIN_EXCEPT_LF = /[^\x20-\x7e\n]/;

/**
 * Renders rows the way istioctl does (`Fprintln(w, strings.Join(cells, "\t"))` per row, then Flush)
 * with minwidth 0, tabwidth 8, pad char space and the given padding. Rows of equal length form one column
 * block per column, so their layout is computed directly (the same bytes TabWriter produces, much faster
 * on large tables); rows of different lengths go through TabWriter. Cells are text from inputs (names in
 * a dump, a certificate's SAN): a control character in one is shown escaped (`\x1b`, `\n`), where
 * istioctl prints it as it is (an escape sequence then acts on the terminal, a line break forges a row).
 */
export function renderTable(rows: readonly (readonly string[])[], padding: number): string {
  try {
    return renderRows(rows, padding);
  } catch (err) {
    if (!tooLong(err)) throw err;
    throw new TableTooLongError(rows, padding);
  }
}

/**
 * A table longer than a JavaScript string can be (≈ 512 MiB): every row is padded to the widest cell of
 * each column, so one value of 30,000 characters among 20,000 rows makes 600 MB of table. Said in one
 * line (exit 65: the input's values make it); the caller names the input.
 */
export class TableTooLongError extends MeshError {
  constructor(rows: readonly (readonly string[])[], padding: number) {
    const widths: number[] = [];
    for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
    const width = widths.reduce((sum, w) => sum + w + padding, -padding);
    const mb = Math.round((rows.length * (width + 1)) / 1e6);
    super(
      `the table would be ${rows.length} rows of ${width} characters (${mb} MB: a value that long pads every row), more than mesh can print as one text`,
      { exitCode: ExitCode.DATA, hint: '-o json and -o yaml print every value; a filter narrows the table' },
    );
  }
}

/** V8's refusal to make a string longer than it can hold, or Node's to decode such bytes. */
function tooLong(err: unknown): boolean {
  return (
    (err instanceof RangeError && /Invalid string length/.test(err.message)) ||
    (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG')
  );
}

function renderRows(rows: readonly (readonly string[])[], padding: number): string {
  const n = rows[0]?.length ?? 0;
  // Most tables are plain ASCII: lay them out with widths = lengths, then check the result once (one
  // regex scan and a line count instead of a test per cell). Otherwise escape and measure cell by cell.
  let ragged = false;
  for (let i = 0; i < rows.length && !ragged; i++) ragged = rows[i]!.length !== n;
  if (!ragged) {
    const plain = layout(rows, n, padding, undefined);
    if (!NOT_PLAIN_EXCEPT_LF.test(plain) && countLines(plain) === rows.length) return plain;
  }
  const safe = rows.map((r) => (r.some((c) => CONTROL.test(c)) ? r.map(escapeControl) : r));
  if (ragged) return renderWithTabWriter(safe, padding);
  const cellWidths = new Int32Array(safe.length * n);
  for (let i = 0; i < safe.length; i++) {
    const r = safe[i]!;
    for (let c = 0; c < n; c++) {
      const cell = r[c]!;
      // Go counts runes: the width of a cell is its code point count
      cellWidths[i * n + c] = NOT_PLAIN.test(cell) ? Array.from(cell).length : cell.length;
    }
  }
  return layout(safe, n, padding, cellWidths);
}

/** Column layout of equal-length rows; cell widths are their lengths unless given. */
function layout(
  rows: readonly (readonly string[])[],
  n: number,
  padding: number,
  cellWidths: Int32Array | undefined,
): string {
  const widths = new Int32Array(n);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let c = 0; c < n; c++) {
      const w = cellWidths ? cellWidths[i * n + c]! : r[c]!.length;
      if (w > widths[c]!) widths[c] = w;
    }
  }
  // Padding strings by length, built once.
  const pads: string[] = [''];
  for (let k = 1; k <= Math.max(0, ...widths) + padding; k++) pads.push(pads[k - 1] + ' ');
  // One more (empty) part makes join end the text with a line feed without another concatenation.
  const parts: string[] = new Array(rows.length + 1);
  parts[rows.length] = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    let line = '';
    for (let c = 0; c < n - 1; c++) {
      const cell = r[c]!;
      line += cell + pads[widths[c]! + padding - (cellWidths ? cellWidths[i * n + c]! : cell.length)]!;
    }
    parts[i] = line + (r[n - 1] ?? '');
  }
  return rows.length > 0 ? parts.join('\n') : '';
}

function countLines(s: string): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) count++;
  return count;
}

function renderWithTabWriter(rows: readonly (readonly string[])[], padding: number): string {
  const w = new TabWriter({ minwidth: 0, tabwidth: 8, padding, padchar: ' ' });
  let chunk = '';
  for (const row of rows) {
    chunk += row.join('\t') + '\n';
    if (chunk.length > 65536) {
      w.write(chunk);
      chunk = '';
    }
  }
  w.write(chunk);
  return w.toString();
}
