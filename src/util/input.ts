/** Reading input files and stdin for commands that take `--file` (`-` = stdin). */
import { isUtf8 } from 'node:buffer';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { describeError, ExitCode, MeshError, usageError } from './errors.js';

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  ENXIO: 'no such device or address',
  ENAMETOOLONG: 'file name too long',
  EPERM: 'operation not permitted',
};

/** What a failed file operation means, in Go's words (without Node's operation and paths). */
export function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e?.code && GO_ERRNO[e.code]) ?? describeError(err);
}

/** Go's `*PathError` text (`open <f>: no such file or directory`), the way istioctl reports file errors. */
export function goPathError(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  const op = e.code === 'EISDIR' ? 'read' : 'open';
  return `${op} ${file}: ${errnoText(e)}`;
}

let utf8: TextDecoder | undefined;

/**
 * Bytes as UTF-8 text, exactly like `buf.toString('utf8')` (a byte order mark is kept, invalid bytes
 * become U+FFFD). Large inputs go through TextDecoder, which on Node 20 decodes a 50 MB ASCII dump in
 * about half the time of `toString` and yields a string JSON.parse reads just as fast.
 */
export function decodeUtf8(buf: Uint8Array): string {
  if (buf.length < 65536) return Buffer.from(buf.buffer, buf.byteOffset, buf.length).toString('utf8');
  utf8 ??= new TextDecoder('utf-8', { ignoreBOM: true });
  return utf8.decode(buf);
}

/** 1-based numbers of the lines of `buf` that are not valid UTF-8 (none for almost every input). */
export function invalidUtf8Lines(buf: Uint8Array): number[] {
  if (isUtf8(buf)) return [];
  const lines: number[] = [];
  let start = 0;
  for (let line = 1; start <= buf.length; line++) {
    let end = buf.indexOf(10, start);
    if (end < 0) end = buf.length;
    if (!isUtf8(buf.subarray(start, end))) lines.push(line);
    start = end + 1;
  }
  return lines;
}

/** What to tell a user whose file has bytes that are not UTF-8 (they are read as U+FFFD). */
export function invalidUtf8Message(lines: readonly number[]): string {
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more line(s))` : '';
  return `not valid UTF-8${more}: the bytes are read as "\uFFFD", so names or values holding them will not match; save the file as UTF-8`;
}

/**
 * All the bytes of a stream (stdin, a FIFO, a device), or undefined as soon as there are more than
 * `maxBytes`: reading stops there (the stream is destroyed), so an endless source such as /dev/zero costs
 * at most `maxBytes` and one chunk, and no buffer or string longer than the limit is ever made.
 */
export async function readBounded(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number,
): Promise<Buffer | undefined> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > maxBytes) return undefined;
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/**
 * The bytes of an open regular file, read synchronously in one piece when `size` (its size from fstat)
 * is right, or undefined when it holds more than `maxBytes` (it grew after fstat, or it is a file such as
 * /proc's whose size reads 0). Holds at most `maxBytes + 1` bytes.
 */
export function readFdBounded(fd: number, size: number, maxBytes: number): Buffer | undefined {
  let buf = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length > maxBytes) return undefined;
      const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(2 * length, 65536)));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const n = readSync(fd, buf, length, buf.length - length, null);
    if (n === 0) return buf.subarray(0, length);
    length += n;
  }
}

/** The text without a leading byte order mark (the UTF-8 signature some editors write). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A NUL byte in the first 8 KiB: an image, an archive, a compiled file — no text any command reads. */
export function looksBinary(buf: Uint8Array): boolean {
  return buf.subarray(0, 8192).indexOf(0) >= 0;
}

/**
 * The text of UTF-16 bytes that start with a byte order mark (FF FE: little-endian, FE FF: big-endian),
 * without the mark; undefined for any other bytes. Windows PowerShell writes UTF-16LE with a mark when
 * output is redirected (`helm template … > out.yaml`, `kubectl exec … > dump.json`); istioctl reads such
 * files too. Decoded with Buffer's own UTF-16LE (in every Node build; big-endian bytes are swapped first).
 */
export function utf16Text(buf: Buffer): string | undefined {
  const le = buf[0] === 0xff && buf[1] === 0xfe;
  const be = buf[0] === 0xfe && buf[1] === 0xff;
  if (!le && !be) return undefined;
  const units = buf.subarray(2, 2 + ((buf.length - 2) & ~1));
  return (be ? Buffer.from(units).swap16() : units).toString('utf16le');
}

/**
 * Why content with NUL bytes is refused, ending `, not <what>`; UTF-16 text without a byte order mark
 * (every other byte NUL) gets its own words.
 */
export function binaryMessage(buf: Uint8Array, what: string): string {
  const head = buf.subarray(0, 64 & ~1);
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0) continue;
    if (i % 2 === 0) zeroEven++;
    else zeroOdd++;
  }
  const half = head.length / 2;
  if (head.length >= 8 && (zeroOdd === half || zeroEven === half) && zeroOdd + zeroEven === half)
    return `UTF-16 text without a byte order mark, not ${what}: save it as UTF-8`;
  return `binary file (contains NUL bytes), not ${what}`;
}

/**
 * The most a command reads of one input file or stdin: a little under the longest string V8 makes (a
 * larger input could not be held as text, and an endless one such as /dev/zero exhausted memory).
 */
export const MAX_INPUT_BYTES = 511 * 1024 * 1024;

/**
 * The whole text of `file` (`-` = stdin); a failure throws an Error worded like Go's, and binary content
 * (which a YAML parser would read as one string) or more than MAX_INPUT_BYTES is refused as unusable input (exit
 * 65). Regular files are read synchronously in one piece: for dumps of tens of megabytes that is markedly
 * cheaper than a chunked asynchronous read and its decoding garbage; stdin, FIFOs and devices, which may
 * never end, are read as a stream up to the limit.
 */
export async function readInputText(file: string): Promise<string> {
  return checkedText(await readInputBytes(file), file);
}

/**
 * An input's text from its bytes (undefined: more than MAX_INPUT_BYTES, refused): UTF-16 with a byte order
 * mark decoded, binary content refused, and with `invalidUtf8` (the error's first words) bytes that are
 * not UTF-8 refused at their line and column; all exit 65.
 */
function checkedText(buf: Buffer | undefined, file: string, invalidUtf8?: string): string {
  const name = file === '-' ? '<stdin>' : file;
  if (buf === undefined)
    throw new MeshError(
      `${name}: larger than ${MAX_INPUT_BYTES / 1048576} MiB, more than mesh reads of one input`,
      {
        exitCode: ExitCode.DATA,
      },
    );
  const utf16 = utf16Text(buf);
  if (utf16 !== undefined) return utf16;
  if (looksBinary(buf))
    throw new MeshError(`${name}: ${binaryMessage(buf, 'text')}`, { exitCode: ExitCode.DATA });
  const bad = invalidUtf8 === undefined ? undefined : invalidUtf8At(buf);
  if (bad !== undefined) throw new MeshError(`${invalidUtf8}${name}: ${bad}`, { exitCode: ExitCode.DATA });
  return decodeUtf8(buf);
}

/**
 * `readInputText` for an input file a command cannot do without: one that does not exist or cannot be
 * read is exit 66 (sysexits' EX_NOINPUT), its Go-worded error after `prefix`; binary content stays 65.
 */
export async function readNamedInput(file: string, prefix = ''): Promise<string> {
  try {
    return await readInputText(file);
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(`${prefix}${(err as Error).message}`, { exitCode: ExitCode.NOINPUT });
  }
}

/**
 * The byte offset of the first byte of `buf` that does not start a valid UTF-8 sequence (a stray
 * continuation byte, a truncated or overlong sequence, a surrogate, a code point past U+10FFFF), or -1.
 */
export function invalidUtf8Offset(buf: Uint8Array): number {
  if (isUtf8(buf)) return -1;
  for (let i = 0; i < buf.length;) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > buf.length || !isUtf8(buf.subarray(i, i + n))) return i;
    i += n;
  }
  return -1;
}

/**
 * Where bytes are first not UTF-8, `line 8 column 23: invalid UTF-8 (byte 0xff)` (1-based; the column
 * counts bytes), or undefined when they all are.
 */
export function invalidUtf8At(buf: Uint8Array): string | undefined {
  const at = invalidUtf8Offset(buf);
  if (at < 0) return undefined;
  let line = 1;
  for (let i = buf.indexOf(10); i >= 0 && i < at; i = buf.indexOf(10, i + 1)) line++;
  const column = at - (buf.lastIndexOf(10, at) + 1) + 1;
  return `line ${line} column ${column}: invalid UTF-8 (byte 0x${buf[at]!.toString(16).padStart(2, '0')})`;
}

/**
 * The bytes of `file` (`-` = stdin), or undefined when there are more than `maxBytes` (a regular file in
 * one synchronous read, anything else streamed up to the limit; see readInputText); a file that cannot be
 * opened or read throws an Error worded like Go's.
 */
export async function readInputBytes(file: string, maxBytes = MAX_INPUT_BYTES): Promise<Buffer | undefined> {
  if (file === '-') return readBounded(process.stdin, maxBytes);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new Error(goPathError(err, file));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFile()) return st.size > maxBytes ? undefined : readFdBounded(fd, st.size, maxBytes);
    return await readBounded(createReadStream('', { fd, autoClose: false }), maxBytes);
  } catch (err) {
    throw new Error(goPathError(err, file));
  } finally {
    closeSync(fd);
  }
}

/**
 * `readNamedInput` for a config dump, which Envoy writes as UTF-8: bytes that are not UTF-8 are refused
 * (exit 65) as istioctl refuses them (`proto: syntax error (line 8:22): invalid UTF-8 in string`), in one
 * line of `what` (the error's first words), the input, the line and column (1-based, the column in bytes)
 * and the byte, rather than read as U+FFFD, where a name holding one would match nothing. Binary content
 * and inputs past MAX_INPUT_BYTES are refused, and UTF-16 text with a byte order mark read, as
 * `readInputText` does; a file that does not exist or cannot be read is exit 66, its error after `prefix`.
 */
export async function readUtf8Input(file: string, prefix: string, what: string): Promise<string> {
  let buf: Buffer | undefined;
  try {
    buf = await readInputBytes(file);
  } catch (err) {
    throw new MeshError(`${prefix}${(err as Error).message}`, { exitCode: ExitCode.NOINPUT });
  }
  return checkedText(buf, file, what);
}

/**
 * Refuses `-` (stdin) named by more than one of a command's inputs (`[flag, value]` pairs), before
 * anything is read: stdin can be read only once, and the second input would be read as empty (an empty
 * dump, no policies). The same `-` given twice to one flag that reads a list of paths is one input.
 */
export function stdinOnce(inputs: ReadonlyArray<readonly [flag: string, value: string]>): void {
  const flags = inputs.filter(([, value]) => value === '-').map(([flag]) => flag);
  if (flags.length < 2) return;
  const named = [...new Set(flags)];
  throw usageError(
    `${named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0]}: - (stdin) can be read only once`,
    'save all but one of these inputs to a file',
  );
}

/**
 * The UTF-8 text of a file a flag names (a mesh config, a baseline, a list of patterns), read synchronously
 * and at most MAX_INPUT_BYTES: a device or FIFO that never ends (`/dev/zero`) is refused there, exit 65,
 * naming it after `prefix` (`cannot read mesh config file `), rather than read until memory runs out. A file
 * that cannot be opened or read throws Node's error, as readFileSync does.
 */
export function readFlagFile(file: string, prefix: string): string {
  const fd = openSync(file, 'r');
  let buf: Buffer | undefined;
  try {
    const st = fstatSync(fd);
    buf = readFdBounded(fd, st.isFile() ? st.size : 0, MAX_INPUT_BYTES);
  } finally {
    closeSync(fd);
  }
  if (buf === undefined)
    throw new MeshError(
      `${prefix}${file}: larger than ${MAX_INPUT_BYTES / 1048576} MiB, more than mesh reads of one input`,
      { exitCode: ExitCode.DATA },
    );
  return buf.toString('utf8');
}
