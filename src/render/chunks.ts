/**
 * Reports rendered and written in pieces. V8 cannot make a string longer than about 512 MiB (2^29 - 24 UTF-16
 * units), and a report of a million findings is larger than that: no format builds its whole text. Each
 * yields pieces whose concatenation is exactly the text it used to build, and `writeChunks` writes them to
 * stdout a few at a time, waiting when the stream asks it to.
 */

/** The text of an output, in order, in pieces (none of them the whole text of a large output). */
export type Chunks = Iterable<string>;

/** Small pieces are gathered into writes of about this many UTF-16 units; a larger one is written as it is. */
const FLUSH_AT = 1 << 18;

/**
 * The pieces gathered into texts of about `flushAt` UTF-16 units (a larger piece is one text), whose
 * concatenation is the pieces' followed by a newline unless they end with one; nothing when they are all
 * empty. What `writeChunks` writes to a stream, and `--report` to a file.
 */
export function* batched(chunks: Chunks, flushAt = FLUSH_AT): Generator<string> {
  let pending = '';
  let last = '';
  for (const piece of chunks) {
    pending += piece;
    if (pending.length >= flushAt) {
      last = pending;
      pending = '';
      yield last;
    }
  }
  if (pending !== '') yield pending.endsWith('\n') ? pending : pending + '\n';
  else if (last !== '' && !last.endsWith('\n')) yield '\n';
}

/**
 * Writes the pieces to `out` as `writeStdout` writes one text (see `batched`). Resolves once the last write
 * is flushed; waits for `drain` whenever the stream's buffer is full, so a slow reader never makes the whole
 * output pile up in memory.
 */
export async function writeChunks(
  chunks: Chunks,
  out: NodeJS.WritableStream = process.stdout,
  flushAt = FLUSH_AT,
): Promise<void> {
  let flushed: Promise<unknown> = Promise.resolve();
  for (const text of batched(chunks, flushAt)) {
    const written = signal();
    flushed = written.promise;
    if (!out.write(text, written.resolve)) await drained(out);
  }
  await flushed;
}

/**
 * A promise and the function that resolves it, made where no text is in scope. A write's callback runs
 * after the code that wrote, and writes to a file never make that code wait: a callback that could reach
 * its text (a closure over the loop) kept every text of the output alive until the end, twice the memory.
 */
function signal(): { promise: Promise<unknown>; resolve: (value?: unknown) => void } {
  let resolve!: (value?: unknown) => void;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves when `out` can take more (or will never: it closed or failed, which its owner reports). */
function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

export interface JsonChunkOptions {
  /** Array elements serialized by one JSON.stringify call. */
  batch?: number;
  /** A batch whose text would be longer is split in two; a lone element that long, member by member. */
  maxPiece?: number;
}

/** 512 findings are about 300 KB of JSON: few native calls, small pieces. */
const JSON_BATCH = 512;
const MAX_PIECE = 64 << 20;

const PADS: string[] = [];
const pad = (depth: number) => (PADS[depth] ??= '  '.repeat(depth));

/**
 * `JSON.stringify(value, null, 2)` in pieces, byte for byte. Objects and arrays of up to `batch` elements are
 * walked member by member; a longer array is serialized `batch` elements at a time by JSON.stringify itself,
 * at the depth it sits (so its elements' lines get the same indentation). Only the few containers around the
 * long arrays are walked, so the cost stays that of JSON.stringify.
 *
 * As in JSON.stringify, `toJSON` is called, undefined/functions/symbols are left out of objects and are
 * `null` in arrays, and a cycle is a TypeError. (The one difference: the elements of a long array serialized
 * together get their index within the batch as `toJSON`'s key.)
 */
export function* jsonChunks(value: unknown, options: JsonChunkOptions = {}): Generator<string> {
  const batch = Math.max(1, options.batch ?? JSON_BATCH);
  const maxPiece = options.maxPiece ?? MAX_PIECE;
  const ancestors = new Set<object>();

  /** `[[…[elements]…]]` at `depth`: where the elements' text starts and how much follows it. */
  const frames: Array<[number, number]> = [];
  const frame = (depth: number): [number, number] => {
    let f = frames[depth];
    if (!f) {
      const probe = JSON.stringify(nest([0], depth), null, 2);
      const at = probe.indexOf('0');
      f = frames[depth] = [at - pad(depth + 1).length, probe.length - at - 1];
    }
    return f;
  };

  function* member(v: unknown, depth: number): Generator<string> {
    if (v === null || typeof v !== 'object' || isBoxed(v)) {
      yield JSON.stringify(v) ?? 'null';
      return;
    }
    if (ancestors.has(v)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(v);
    if (Array.isArray(v)) yield* array(v, depth);
    else yield* object(v as Record<string, unknown>, depth);
    ancestors.delete(v);
  }

  function* object(o: Record<string, unknown>, depth: number): Generator<string> {
    let open = false;
    for (const key of Object.keys(o)) {
      const v = toJSON(o[key], key);
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      yield `${open ? ',\n' : '{\n'}${pad(depth + 1)}${JSON.stringify(key)}: `;
      open = true;
      yield* member(v, depth + 1);
    }
    yield open ? `\n${pad(depth)}}` : '{}';
  }

  function* array(a: readonly unknown[], depth: number): Generator<string> {
    if (a.length === 0) {
      yield '[]';
      return;
    }
    yield '[\n';
    if (a.length <= batch)
      for (let i = 0; i < a.length; i++) {
        if (i > 0) yield ',\n';
        yield pad(depth + 1);
        yield* member(toJSON(a[i], String(i)), depth + 1);
      }
    else
      for (let i = 0; i < a.length; i += batch) {
        if (i > 0) yield ',\n';
        yield* elements(a, i, Math.min(i + batch, a.length), depth);
      }
    yield `\n${pad(depth)}]`;
  }

  /** Elements `from`…`to` of an array at `depth`: each on its own lines, separated by `,\n`. */
  function* elements(a: readonly unknown[], from: number, to: number, depth: number): Generator<string> {
    let text: string | undefined;
    try {
      const s = JSON.stringify(nest(a.slice(from, to), depth), null, 2);
      const [before, after] = frame(depth);
      if (s.length - before - after <= maxPiece) text = s.slice(before, s.length - after);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
    if (text !== undefined) yield text;
    else if (to - from === 1) {
      yield pad(depth + 1);
      yield* member(toJSON(a[from], String(from)), depth + 1);
    } else {
      const mid = from + Math.ceil((to - from) / 2);
      yield* elements(a, from, mid, depth);
      yield ',\n';
      yield* elements(a, mid, to, depth);
    }
  }

  yield* member(toJSON(value, ''), 0);
}

/** `value` inside `depth` one-element arrays: JSON.stringify then indents it as at that depth. */
function nest(value: unknown, depth: number): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function toJSON(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function'
    ? (v as { toJSON: (key: string) => unknown }).toJSON(key)
    : v;
}

function isBoxed(v: object): boolean {
  return v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt;
}

/**
 * `items.map(f)` whose elements are made each time they are read: `jsonChunks`, `yamlChunks` and
 * JSON.stringify read it as the array (`Array.isArray`, `length`, indexes, `slice`), a batch at a time, so
 * a report of a million findings never holds a second copy of all of them.
 */
export function lazyMap<T, U>(items: readonly T[], f: (item: T) => U): readonly U[] {
  return new Proxy(items as unknown as U[], {
    get(target, key, receiver) {
      if (typeof key === 'string') {
        const c = key.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const i = Number(key);
          if (Number.isInteger(i) && i < items.length && String(i) === key) return f(items[i]!);
        }
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
