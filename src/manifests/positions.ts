import { createRequire } from 'node:module';
import type { Document, LineCounter, Node } from 'yaml';
import type { DocSource, Position, Resource } from './types.js';
import { parsePath, type PathSegment } from './path.js';
import { fastLocate, UNSUPPORTED } from './fast-yaml.js';
import { plainScalarValue } from './yaml-schema.js';
import { jsonIndex, jsonOffset, type JsonIndex } from './json-positions.js';

type YamlModule = typeof import('yaml');
const requireHere = createRequire(import.meta.url);
let yamlModule: YamlModule | undefined;

/** The `yaml` package, loaded only when a document needs the full parser (most never do). */
function yaml(): YamlModule {
  return (yamlModule ??= requireHere('yaml') as YamlModule);
}

interface Cached {
  doc?: Document.Parsed;
  lines?: LineCounter;
  json?: JsonIndex;
  /** Offsets where lines start (JSON texts). */
  lineStarts?: number[];
}

/**
 * What was built to locate fields of a document: the items of a `kind: List` share their document's
 * (so its tree or index is built once for all of them).
 */
const cached = new Map<DocSource, Cached>();

function cacheOf(src: DocSource): Cached {
  const owner = src.list ?? src;
  let c = cached.get(owner);
  if (!c) cached.set(owner, (c = {}));
  return c;
}

/**
 * Finds the line and column of a field path inside the resource's document, or of its deepest existing
 * ancestor. Computed only for documents a finding points at: in documents the fast parser read, by
 * following the indentation of the lines along the path (`fastLocate`); anything else (flow style, JSON,
 * anchors, multi-line scalars) is read with the `yaml` package's parser, which keeps source ranges.
 * JSON files get a position index built in one pass over the text.
 */
export function positionOf(resource: Resource, path: string | readonly PathSegment[]): Position | undefined {
  const src = resource.source;
  if (!src) return undefined;
  const rel = typeof path === 'string' ? parsedPath(path) : path;
  return positionIn(src, src.prefix.length === 0 ? rel : [...src.prefix, ...rel]);
}

/**
 * The line an object starts at: its document's first line, or for an item of a `kind: List`, the item's
 * own line (looked up only when asked: a message names it).
 */
export function lineOf(resource: Resource): number {
  if (resource.origin.listIndex === undefined) return resource.origin.line;
  return positionOf(resource, '')?.line ?? resource.origin.line;
}

/**
 * The line and column of a path from the top of a document's text (a `kind: List` item's own path starts
 * `items, N`), or of its deepest existing ancestor.
 */
export function positionIn(src: DocSource, segs: readonly PathSegment[]): Position | undefined {
  if (src.fast) {
    const hit = fastLocate(src.text, segs, true);
    if (hit !== UNSUPPORTED) {
      return hit.depth > 0 ? { line: src.lineOffset + hit.line + 1, column: hit.column } : firstLine(src);
    }
  }
  if (src.json) return jsonPositionOf(src, segs);
  return parsedPositionOf(src, segs);
}

function jsonPositionOf(src: DocSource, segs: readonly PathSegment[]): Position {
  const cache = cacheOf(src);
  const offset = jsonOffset((cache.json ??= jsonIndex(src.text)), segs);
  const starts = (cache.lineStarts ??= lineStartsOf(src.text));
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: src.lineOffset + lo + 1, column: offset - starts[lo]! + 1 };
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const parsedPaths = new Map<string, readonly PathSegment[]>();

/** parsePath, once per distinct path (findings of one analyzer mostly share their paths). */
function parsedPath(path: string): readonly PathSegment[] {
  let segs = parsedPaths.get(path);
  if (segs === undefined) parsedPaths.set(path, (segs = parsePath(path)));
  return segs;
}

/** Drops what `positionOf` cached for a document's text (its parsed tree or index). */
export function forgetPositions(src: DocSource): void {
  cached.delete(src.list ?? src);
}

/** The first content line of a document (the position of the empty path). */
function firstLine(src: DocSource): Position | undefined {
  const m = /^[ \t]*[^\s#]/m.exec(src.text);
  if (!m) return undefined;
  const before = src.text.slice(0, m.index);
  return { line: src.lineOffset + before.split('\n').length, column: m[0].length };
}

/** The same lookup with the full YAML parser (also used by tests to check the fast index). */
export function parsedPositionOf(src: DocSource, segs: readonly PathSegment[]): Position | undefined {
  const cache = cacheOf(src);
  const { parseDocument, LineCounter } = yaml();
  if (!cache.doc) {
    cache.lines = new LineCounter();
    cache.doc = parseDocument(src.text, {
      lineCounter: cache.lines,
      keepSourceTokens: false,
      uniqueKeys: false,
      strict: false,
    });
  }
  const offset = offsetInTree(cache.doc.contents, segs);
  if (offset === undefined) return undefined;
  const lp = cache.lines!.linePos(offset);
  return { line: lp.line + src.lineOffset, column: lp.col };
}

/**
 * The source offset of the key (or sequence item) at `segs` in a tree of the `yaml` package, or of the
 * deepest part of the path that exists (the root's when none does).
 */
export function offsetInTree(root: unknown, segs: readonly PathSegment[]): number | undefined {
  const { isMap, isSeq } = yaml();
  let node = root;
  let offset: number | undefined = rangeStart(node);
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = ownPair(node, seg);
      if (!pair) {
        // a key merged in (`<<: *defaults`): the finding is on the line of the merge key that brings it
        const merge = mergePairBringing(root, node, seg, 0);
        if (merge) offset = rangeStart(merge.key) ?? offset;
        break;
      }
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

type MapNode = { items: unknown[] };
type PairNode = { key: unknown; value: unknown };

/** YAML 1.1's merge key: a plain `<<` (a quoted "<<" is an ordinary key, as for kubectl). */
function isMergeKey(key: unknown): boolean {
  const { isScalar } = yaml();
  return isScalar(key) && key.type === 'PLAIN' && !key.tag && key.source === '<<';
}

/** The mapping's own pair for `seg` (not a merge key). */
function ownPair(map: MapNode, seg: PathSegment): PairNode | undefined {
  const { isScalar, isPair } = yaml();
  // a plain key is what the loader made of it (`yes:` is the key "true", as for kubectl)
  return map.items.find(
    (p): p is PairNode =>
      isPair(p) &&
      isScalar(p.key) &&
      !isMergeKey(p.key) &&
      String(p.key.type === 'PLAIN' && !p.key.tag ? plainScalarValue(String(p.key.source)) : p.key.value) ===
        String(seg),
  );
}

/**
 * The merge pair of `map` (`<<: *a`, `<<: [*a, *b]`, `<<: {…}`) whose mappings hold `seg`, also through
 * their own merge keys; aliases are resolved to the anchored node written before them in `root`.
 */
function mergePairBringing(
  root: unknown,
  map: MapNode,
  seg: PathSegment,
  depth: number,
): PairNode | undefined {
  const { isMap, isSeq, isPair, isAlias } = yaml();
  if (depth > 32) return undefined;
  for (const p of map.items) {
    if (!isPair(p) || !isMergeKey(p.key)) continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const source of sources) {
      const target = isAlias(source) ? anchored(root, source.source, rangeStart(source)) : source;
      if (isMap(target) && (ownPair(target, seg) || mergePairBringing(root, target, seg, depth + 1)))
        return p as PairNode;
    }
  }
  return undefined;
}

/** The node anchored `&name` last before `before` (as an alias refers to it). */
function anchored(root: unknown, name: string, before: number | undefined): unknown {
  const { visit, isNode } = yaml();
  let found: unknown;
  if (!isNode(root)) return undefined;
  visit(root, (_key, node) => {
    if (
      isNode(node) &&
      node.anchor === name &&
      (before === undefined || (rangeStart(node) ?? Infinity) < before)
    )
      found = node;
  });
  return found;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
