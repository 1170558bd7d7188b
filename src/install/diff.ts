/**
 * Field-level differences between two versions of one Kubernetes object (the live object and the result
 * of a server-side dry-run apply), ignoring what the server changes on every write. Pure.
 */

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** Bookkeeping fields that differ between any two writes and say nothing about the object's content. */
const IGNORED = new Set([
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.creationTimestamp',
  'metadata.uid',
  'status',
]);

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const key = (parent: string, k: string) =>
  parent ? `${parent}.${/^[A-Za-z_][\w-]*$/.test(k) ? k : JSON.stringify(k)}` : k;

/** The changed leaves, by path (`spec.template.spec.containers[0].image`), sorted by path. */
export function fieldDiff(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (IGNORED.has(path)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], key(path, k));
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((v, i) => walk(v, b[i], `${path}[${i}]`));
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, from: a, to: b });
  };
  walk(before, after, '');
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
