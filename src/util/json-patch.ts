/**
 * JSON Patch (RFC 6902) applied to plain JSON data, with JSON Pointers (RFC 6901): what an admission
 * webhook answers with (`patchType: JSONPatch`). All or nothing: the input is never changed, and the first
 * operation that cannot apply throws a JsonPatchError naming it.
 */
import { setOwn } from './values.js';

export interface PatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

export class JsonPatchError extends Error {}

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** RFC 6901 tokens of a pointer ("" is the whole document). */
function tokens(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw new JsonPatchError('the path is not a string');
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`"${pointer}" is not a JSON Pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** An array index token: decimal without leading zeros, within `max` ("-" only where `dash` allows it). */
function index(list: unknown[], token: string, max: number, dash: boolean): number {
  if (token === '-' && dash) return list.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) > max)
    throw new JsonPatchError(`no index ${token} in a list of ${list.length}`);
  return Number(token);
}

/** The container holding the last token of `path`, walked from `doc`. */
function parentOf(doc: unknown, path: string[]): Container {
  let at: unknown = doc;
  for (const t of path.slice(0, -1)) {
    if (Array.isArray(at)) at = at[index(at, t, at.length - 1, false)];
    else if (isContainer(at) && Object.hasOwn(at, t)) at = (at as Record<string, unknown>)[t];
    else throw new JsonPatchError(`"${t}" does not exist`);
  }
  if (!isContainer(at)) throw new JsonPatchError('the parent is not an object or a list');
  return at;
}

function get(doc: unknown, path: string[]): unknown {
  if (path.length === 0) return doc;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) return parent[index(parent, last, parent.length - 1, false)];
  if (!Object.hasOwn(parent, last)) throw new JsonPatchError(`"${last}" does not exist`);
  return parent[last];
}

/** Adds `value` at `path`; returns the new document (changed only at the root). */
function add(doc: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, parent.length, true), 0, value);
  else setOwn(parent, last, value);
  return doc;
}

/** Replaces the value at `path`, which must exist, in place (an object keeps its key order). */
function replace(doc: unknown, path: string[], value: unknown): unknown {
  get(doc, path);
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else setOwn(parent, last, value);
  return doc;
}

function remove(doc: unknown, path: string[]): unknown {
  if (path.length === 0) throw new JsonPatchError('cannot remove the whole document');
  const parent = parentOf(doc, path);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, parent.length - 1, false), 1);
  else if (Object.hasOwn(parent, last)) delete parent[last];
  else throw new JsonPatchError(`"${last}" does not exist`);
  return doc;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal((a as any)[k], (b as any)[k]))
  );
}

/** `doc` with the operations applied in order (a copy); throws JsonPatchError at the first that fails. */
export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw new JsonPatchError('a JSON Patch must be a list of operations');
  let out: unknown = structuredClone(doc);
  ops.forEach((raw: unknown, i) => {
    const op = (isContainer(raw) ? raw : {}) as Partial<PatchOperation>;
    const name = `operation ${i + 1} (${String(op.op)} ${String(op.path)})`;
    try {
      const path = tokens(op.path);
      const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
      if (needsValue && !Object.hasOwn(op, 'value')) throw new JsonPatchError('it has no value');
      switch (op.op) {
        case 'add':
          out = add(out, path, structuredClone(op.value));
          break;
        case 'remove':
          out = remove(out, path);
          break;
        case 'replace':
          out = replace(out, path, structuredClone(op.value));
          break;
        case 'move': {
          const from = tokens(op.from);
          if (from.length < path.length && from.every((t, k) => t === path[k]))
            throw new JsonPatchError('cannot move a value into itself');
          const value = get(out, from);
          out = add(remove(out, from), path, value);
          break;
        }
        case 'copy':
          out = add(out, path, structuredClone(get(out, tokens(op.from))));
          break;
        case 'test':
          if (!equal(get(out, path), op.value)) throw new JsonPatchError('the value differs');
          break;
        default:
          throw new JsonPatchError('unknown operation');
      }
    } catch (err) {
      if (err instanceof JsonPatchError) throw new JsonPatchError(`${name}: ${err.message}`);
      throw err;
    }
  });
  return out as T;
}
