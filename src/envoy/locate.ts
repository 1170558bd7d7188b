/**
 * Where a value of a parsed config dump is: its JSON path (`dynamic_listeners[0].active_state.listener`)
 * and, when the dump is JSON text, its line and column. Only used on the error path: nothing here runs
 * while a dump that is fine is read.
 */
import { jsonIndex, jsonValueAt, type JsonIndex } from '../manifests/json-positions.js';
import { isObj } from './fields.js';

export type JsonPath = ReadonlyArray<string | number>;

/** `a[0].b["x.y"]`: keys that are not plain identifiers are quoted. */
export function renderPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$@][\w$@]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Walks the objects and lists under `root` depth-first (elements and values in order), with its own stack:
 * a dump nested deeper than the call stack must not overflow here. `visit` gets each with its number;
 * `'skip'` leaves out what is under it, `'stop'` ends the walk. `parents` and `segs` are filled so that
 * `pathOf` leads from a number back to the root.
 */
function walk(
  root: unknown,
  visit: (v: object, n: number) => 'skip' | 'stop' | undefined,
  parents: number[],
  segs: Array<string | number>,
): void {
  const nodes: unknown[] = [];
  const stack: number[] = [];
  const push = (v: unknown, parent: number, seg: string | number) => {
    nodes.push(v);
    parents.push(parent);
    segs.push(seg);
    stack.push(nodes.length - 1);
  };
  push(root, -1, '');
  while (stack.length > 0) {
    const n = stack.pop()!;
    const v = nodes[n];
    if (typeof v !== 'object' || v === null) continue;
    const next = visit(v, n);
    if (next === 'stop') return;
    if (next === 'skip') continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] === 'object' && v[i] !== null) push(v[i], n, i);
    } else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) if (typeof x === 'object' && x !== null) push(x, n, k);
    }
  }
}

function pathOf(n: number, parents: readonly number[], segs: ReadonlyArray<string | number>): JsonPath {
  const path: Array<string | number> = [];
  for (let i = n; parents[i]! >= 0; i = parents[i]!) path.unshift(segs[i]!);
  return path;
}

/** The path from `root` to the object `target` (found by identity), or undefined when it is not inside. */
export function pathTo(root: unknown, target: object): JsonPath | undefined {
  const parents: number[] = [];
  const segs: Array<string | number> = [];
  let found: number | undefined;
  walk(root, (v, n) => (v === target ? ((found = n), 'stop') : undefined), parents, segs);
  return found === undefined ? undefined : pathOf(found, parents, segs);
}

/**
 * `pathTo(root, target)` for many targets of one root: the root is walked once, in the order `pathTo`
 * walks it (so an object found in two places gets the path `pathTo` gives), on the first question.
 */
export function pathsIn(root: unknown): (target: object) => JsonPath | undefined {
  let index: Map<object, number> | undefined;
  const parents: number[] = [];
  const segs: Array<string | number> = [];
  return (target) => {
    if (!index) {
      const seen = (index = new Map());
      walk(root, (v, n) => (seen.has(v) ? 'skip' : (seen.set(v, n), undefined)), parents, segs);
    }
    const n = index.get(target);
    return n === undefined ? undefined : pathOf(n, parents, segs);
  };
}

/**
 * What locating values in one text has learnt, to be reused for the next value of that text: its JSON
 * position index (`jsonIndex`: where the members of each object and the items of each list read start)
 * and the line of the last offset asked for. A dump with thousands of damaged resources is then located
 * in about one pass over its text instead of one pass per resource.
 */
export interface TextMemo {
  json?: JsonIndex;
  line: { pos: number; line: number; lineStart: number };
}

export function textMemo(): TextMemo {
  return { line: { pos: 0, line: 1, lineStart: 0 } };
}

/**
 * The offset in `text` of the value at `path`, starting from the value that begins at `start` (JSON that
 * parsed: the whole text, or the slice of a dump's section); undefined when the text does not hold that
 * path (a YAML dump holds none). A key given twice is found where JSON.parse takes it from: its last
 * occurrence. No text outside the value at `start` is read, so the rest of a dump need not be JSON.
 */
export function jsonValueOffset(
  text: string,
  path: JsonPath,
  start = 0,
  memo: TextMemo = textMemo(),
): number | undefined {
  return jsonValueAt((memo.json ??= jsonIndex(text)), path, start);
}

/** The JSON number token at `pos` of `text` (as written, `1e400`), or undefined when none starts there. */
export function numberAt(text: string, pos: number): string | undefined {
  const m = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  m.lastIndex = pos;
  return m.exec(text)?.[0];
}

/** `line L column C` of an offset (1-based; a byte order mark at the start is no column). */
export function lineColumn(text: string, pos: number, memo?: TextMemo): string {
  // lines are counted on from the last offset asked for when this one is past it
  const known = memo && memo.line.pos <= pos ? memo.line : { pos: 0, line: 1, lineStart: 0 };
  let { line, lineStart } = known;
  for (let j = text.indexOf('\n', known.pos); j >= 0 && j < pos; j = text.indexOf('\n', j + 1)) {
    line++;
    lineStart = j + 1;
  }
  if (memo) memo.line = { pos, line, lineStart };
  const bom = lineStart === 0 && text.startsWith('\ufeff') ? 1 : 0;
  return `line ${line} column ${pos - lineStart + 1 - bom}`;
}
