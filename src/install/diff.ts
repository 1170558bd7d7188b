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

/** Lists of maps with unique `name`s (containers, env, ports, volumes) are compared by name, not index. */
function byName(l: unknown[]): boolean {
  const names = l.map((e) => (isObj(e) && typeof e.name === 'string' ? e.name : undefined));
  return l.length > 0 && names.every((n) => n !== undefined) && new Set(names).size === names.length;
}

/**
 * The changed leaves, by path (`spec.template.spec.containers[name:discovery].image`, `[N]` for lists
 * without names), sorted by path.
 */
export function fieldDiff(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (IGNORED.has(path)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], key(path, k));
    } else if (Array.isArray(a) && Array.isArray(b)) {
      const named = byName(a) && byName(b);
      if (named) {
        const index = (l: unknown[]) => new Map(l.map((e) => [(e as { name: string }).name, e]));
        const [ia, ib] = [index(a), index(b)];
        for (const n of new Set([...ia.keys(), ...ib.keys()]))
          walk(ia.get(n), ib.get(n), `${path}[name:${n}]`);
        const order = (m: Map<string, unknown>) => [...m.keys()].filter((n) => ia.has(n) && ib.has(n));
        if (JSON.stringify(order(ia)) !== JSON.stringify(order(ib)))
          out.push({ path: `${path} (order)`, from: order(ia), to: order(ib) });
      } else for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, from: a, to: b });
  };
  walk(before, after, '');
  return out.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
