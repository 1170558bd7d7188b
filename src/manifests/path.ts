/**
 * Field paths as users read them: `spec.http[0].route[1].destination.host`. Keys that contain dots or
 * slashes are quoted: `metadata.annotations["sidecar.istio.io/inject"]`.
 */
export type PathSegment = string | number;

export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3].replace(/\\(.)/g, '$1'));
  }
  return out;
}

/** A key written without quotes: letters, digits, `_` and `-` (a loop is cheaper than a regex here). */
function isPlainKey(seg: string): boolean {
  if (seg.length === 0) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45))
      return false;
  }
  return true;
}

function appendSegment(s: string, seg: PathSegment): string {
  if (typeof seg === 'number') return `${s}[${seg}]`;
  if (isPlainKey(seg)) return s === '' ? seg : `${s}.${seg}`;
  return `${s}[${JSON.stringify(seg)}]`;
}

export function formatPath(segments: readonly PathSegment[]): string {
  let s = '';
  for (const seg of segments) s = appendSegment(s, seg);
  return s;
}

/** Joins a base path and more segments: `joinPath('spec.http', 0, 'route')` → `spec.http[0].route`. */
export function joinPath(base: string, ...more: PathSegment[]): string {
  // `base` is always a formatted path, so appending to it needs no re-parse (this runs in hot loops).
  let s = base;
  for (let i = 0; i < more.length; i++) s = appendSegment(s, more[i]!);
  return s;
}

/** Reads a value at a path from a plain object. */
export function getAt(obj: unknown, path: string | readonly PathSegment[]): unknown {
  const segs = typeof path === 'string' ? parsePath(path) : path;
  let cur: any = obj;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[s as any];
  }
  return cur;
}
