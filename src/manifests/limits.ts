/**
 * Limits every input document is held to, whatever its format (JSON, YAML block or flow style): code that
 * walks documents recursively (schema validation, semantic rules, position lookup) can then rely on them.
 * The size limit is per file (`--max-file-size`); the nesting limit is per document.
 */
import { constants } from 'node:buffer';
import { formatPath, type PathSegment } from './path.js';
import { isKeyEnd, stringEnd } from './json-error.js';

/**
 * The largest `--max-file-size` (MiB): a file is parsed as one string, and a string holds at most
 * `MAX_STRING_LENGTH` characters (2^29 - 24, just under 512 Mi, in Node 20), which a file of that many bytes
 * never exceeds. A larger file could not be parsed at all, so a larger limit is refused rather than
 * failing later with `Cannot create a string longer than …`.
 */
export const MAX_FILE_SIZE_MIB = Math.floor(constants.MAX_STRING_LENGTH / 1048576);

/** Deepest nesting of mappings and sequences in a document (the top-level mapping is level 1). */
export const MAX_NESTING = 100;

export function nestingMessage(path?: string): string {
  const at = path ? ` at ${path}` : '';
  return `document nests mappings and sequences more than ${MAX_NESTING} levels deep${at}; refused`;
}

/**
 * js-yaml's own `maxDepth` for the same limit: js-yaml counts the document node and the collection it is
 * checking on top of the nesting, and only bounds block mappings loosely (its recursion stays bounded),
 * so `deeperThan` checks its results exactly.
 */
export const JS_YAML_MAX_DEPTH = MAX_NESTING + 2;

/**
 * The path of the first collection nested deeper than `max` levels in a parsed value, or undefined when
 * none is. Iterative, so any depth is measured without recursion.
 */
export function deeperThan(root: unknown, max = MAX_NESTING): PathSegment[] | undefined {
  interface Frame {
    value: object;
    depth: number;
    parent: Frame | undefined;
    key: PathSegment;
  }
  if (root === null || typeof root !== 'object') return undefined;
  const stack: Frame[] = [{ value: root, depth: 1, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.depth > max) {
      const path: PathSegment[] = [];
      for (let p: Frame | undefined = f; p?.parent; p = p.parent) path.push(p.key);
      return path.reverse();
    }
    const v = f.value as Record<string, unknown>;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === 'object')
          stack.push({ value: x, depth: f.depth + 1, parent: f, key: i });
      }
    } else {
      for (const k in v) {
        const x = v[k];
        if (x !== null && typeof x === 'object')
          stack.push({ value: x, depth: f.depth + 1, parent: f, key: k });
      }
    }
  }
  return undefined;
}

/** A path for a message: its first segments, not ten thousand. */
export function shortPath(path: readonly PathSegment[]): string {
  return path.length <= 8 ? formatPath(path) : `${formatPath(path.slice(0, 8))}…`;
}

/**
 * One linear pass over JSON text, done before `JSON.parse` so that lines are known: the offset of the
 * bracket that opens a collection nested deeper than `max` levels (-1 when none is), and the number of
 * object keys written in the text (strings followed by a colon), which `JSON.parse` keeps fewer of when a
 * key is repeated. Brackets and colons inside strings do not count.
 */
export function scanJson(text: string, max = MAX_NESTING): { deepAt: number; keys: number } {
  let depth = 0;
  let keys = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = stringEnd(text, i);
      if (isKeyEnd(text, i)) keys++;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return { deepAt: i, keys };
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return { deepAt: -1, keys };
}

/** The number of keys of all the objects in a parsed JSON value. */
export function countKeys(root: unknown): number {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else
      for (const k in v as object) {
        count++;
        const x = (v as any)[k];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
  }
  return count;
}

/** Whether a parsed value holds more than `max` nodes once YAML aliases are expanded (stops counting there). */
export function exceedsNodes(root: unknown, max: number): boolean {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++count > max) return true;
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) for (const x of v) stack.push(x);
      else for (const k in v as object) stack.push((v as any)[k]);
    }
  }
  return false;
}

/**
 * Whether a document is a sequence holding Kubernetes objects (a mapping with `apiVersion` or `kind`):
 * meant as objects, which kubectl and istioctl refuse, rather than some other file to pass over.
 */
export function isSequenceOfObjects(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.some(
      (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && ('apiVersion' in v || 'kind' in v),
    )
  );
}

export const SEQUENCE_OF_OBJECTS =
  'a sequence of Kubernetes objects, not an object: write each as a document of its own (---) or as the items of a kind: List';
