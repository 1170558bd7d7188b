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

export function formatPath(segments: readonly PathSegment[]): string {
  let s = '';
  for (const seg of segments) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) s += s === '' ? seg : `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

/** Joins a base path and more segments: `joinPath('spec.http', 0, 'route')` → `spec.http[0].route`. */
export function joinPath(base: string, ...more: PathSegment[]): string {
  return formatPath([...parsePath(base), ...more]);
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
