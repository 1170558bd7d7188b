import { parseDocument, isMap, isSeq, isScalar, isPair, LineCounter, type Node } from 'yaml';
import type { Position, Resource } from './types.js';
import { parsePath, type PathSegment } from './path.js';

interface Cached {
  doc: ReturnType<typeof parseDocument>;
  lines: LineCounter;
}

/**
 * Finds the line and column of a field path inside the resource's document. The document is parsed with
 * the `yaml` package (which keeps source ranges) only on the first call for that document; resources that
 * no finding points at are never re-parsed. Falls back to the deepest existing ancestor of the path.
 */
export function positionOf(resource: Resource, path: string | readonly PathSegment[]): Position | undefined {
  const src = resource.source;
  if (!src) return undefined;
  let cached = src.cache as Cached | undefined;
  if (!cached) {
    const lines = new LineCounter();
    const doc = parseDocument(src.text, {
      lineCounter: lines,
      keepSourceTokens: false,
      uniqueKeys: false,
      strict: false,
    });
    cached = { doc, lines };
    src.cache = cached;
  }
  const segs = [...src.prefix, ...(typeof path === 'string' ? parsePath(path) : path)];
  let node: unknown = cached.doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
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
  if (offset === undefined) return undefined;
  const lp = cached.lines.linePos(offset);
  return { line: lp.line + src.lineOffset, column: lp.col };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
