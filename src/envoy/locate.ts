/**
 * Where a value of a parsed config dump is: its JSON path (`dynamic_listeners[0].active_state.listener`)
 * and, when the dump is JSON text, its line and column. Only used on the error path: nothing here runs
 * while a dump that is fine is read.
 */
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
 * The path from `root` to the object `target` (found by identity), or undefined when it is not inside.
 * Walks with its own stack: a dump nested deeper than the call stack must not overflow here.
 */
export function pathTo(root: unknown, target: object): JsonPath | undefined {
  const parents: number[] = [];
  const segs: Array<string | number> = [];
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
    if (v === target) {
      const path: Array<string | number> = [];
      for (let i = n; parents[i]! >= 0; i = parents[i]!) path.unshift(segs[i]!);
      return path;
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (typeof v[i] === 'object' && v[i] !== null) push(v[i], n, i);
    } else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) if (typeof x === 'object' && x !== null) push(x, n, k);
    }
  }
  return undefined;
}

const isWs = (c: string | undefined) => c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\ufeff';

/**
 * The offset in JSON `text` of the value at `path`, starting from the value that begins at `start`;
 * undefined when the text does not hold that path (or is not JSON). A key given twice is found where
 * JSON.parse takes it from: its last occurrence.
 */
export function jsonValueOffset(text: string, path: JsonPath, start = 0): number | undefined {
  const n = text.length;
  let i = start;
  const ws = () => {
    while (i < n && isWs(text[i])) i++;
  };
  /** Past a string that starts at i (its opening quote). */
  const skipString = () => {
    for (i++; i < n && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    i++;
  };
  /** Past the value that starts at i. */
  const skipValue = () => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c !== '{' && c !== '[') {
      while (i < n && !isWs(text[i]) && text[i] !== ',' && text[i] !== '}' && text[i] !== ']') i++;
      return;
    }
    let depth = 0;
    while (i < n) {
      const d = text[i];
      if (d === '"') {
        skipString();
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      i++;
      if (depth === 0) return;
    }
  };
  for (const seg of path) {
    ws();
    if (typeof seg === 'number') {
      if (text[i] !== '[') return undefined;
      i++;
      for (let k = 0; k < seg; k++) {
        ws();
        if (text[i] === ']') return undefined;
        skipValue();
        ws();
        if (text[i] !== ',') return undefined;
        i++;
      }
      ws();
      if (i >= n || text[i] === ']') return undefined;
      continue;
    }
    if (text[i] !== '{') return undefined;
    i++;
    let found: number | undefined;
    for (;;) {
      ws();
      if (text[i] === '}') break;
      if (text[i] !== '"') return undefined;
      const keyStart = i;
      skipString();
      let key: unknown;
      try {
        key = JSON.parse(text.slice(keyStart, i));
      } catch {
        return undefined;
      }
      ws();
      if (text[i] !== ':') return undefined;
      i++;
      ws();
      if (key === seg) found = i;
      skipValue();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] === '}') break;
      else return undefined;
    }
    if (found === undefined) return undefined;
    i = found;
  }
  ws();
  return i < n ? i : undefined;
}

/** The JSON number token at `pos` of `text` (as written, `1e400`), or undefined when none starts there. */
export function numberAt(text: string, pos: number): string | undefined {
  const m = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  m.lastIndex = pos;
  return m.exec(text)?.[0];
}

/** `line L column C` of an offset (1-based; a byte order mark at the start is no column). */
export function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const bom = lineStart === 0 && text.startsWith('\ufeff') ? 1 : 0;
  return `line ${line} column ${pos - lineStart + 1 - bom}`;
}
