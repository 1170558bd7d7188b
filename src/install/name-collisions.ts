/**
 * List entries another field manager keeps under a name mesh gives an entry of another key. Service ports
 * are a list map keyed by port and protocol (container ports by containerPort and protocol), yet their
 * names must be unique: once someone renumbers one of mesh's ports (`kubectl edit`, `kubectl patch`), the
 * edited entry has a key mesh does not apply, server-side apply keeps it next to mesh's entry of the same
 * name, and the API server refuses the object (422 `Duplicate value`). Pure.
 */

import { isObject, list } from '../util/values.js';

/** A step into a list: a string is a field, `{ name }` the list entry of that name (containers). */
type Step = string | { name: string };

export interface NameCollision {
  /** The list, from the object's root: `['spec', 'ports']`. */
  path: Step[];
  /** The name both entries have. */
  name: string;
  /** The live entry's key and mesh's: `15013/TCP`, `15012/TCP`. */
  live: string;
  rendered: string;
  /** The live entry's field managers (mesh's Apply entry left out). */
  managers: string[];
}

interface ManagedFields {
  manager?: string;
  operation?: string;
  fieldsV1?: Record<string, unknown>;
}

/** The list at `path` in `o` (undefined when a step is missing). */
function listAt(o: unknown, path: readonly Step[]): unknown[] | undefined {
  let at: unknown = o;
  for (const s of path)
    at =
      typeof s === 'string'
        ? isObject(at)
          ? at[s]
          : undefined
        : list(at).find((e) => isObject(e) && e.name === s.name);
  return Array.isArray(at) ? at : undefined;
}

/** `.spec.template.spec.containers[name:discovery].ports` */
const fieldPath = (path: readonly Step[]) =>
  path.map((s) => (typeof s === 'string' ? `.${s}` : `[name:${s.name}]`)).join('');

/** The keyed lists of `rendered` that have named entries, and the fields of their keys. */
function keyedLists(rendered: Record<string, any>): Array<{ path: Step[]; keys: [string, string] }> {
  const out: Array<{ path: Step[]; keys: [string, string] }> = [];
  if (rendered.kind === 'Service') out.push({ path: ['spec', 'ports'], keys: ['port', 'protocol'] });
  for (const field of ['containers', 'initContainers'])
    for (const c of list(rendered.spec?.template?.spec?.[field]))
      if (isObject(c) && typeof c.name === 'string' && Array.isArray(c.ports))
        out.push({
          path: ['spec', 'template', 'spec', field, { name: c.name }, 'ports'],
          keys: ['containerPort', 'protocol'],
        });
  return out;
}

/** An entry's key as the server keys it (protocol defaults to TCP). */
const keyOf = (e: Record<string, any>, [num, proto]: readonly [string, string]) => ({
  [num]: e[num],
  [proto]: e[proto] ?? 'TCP',
});

const same = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

/** The managedFields set below one `k:{…}` entry whose key equals `key`, if any. */
function keyed(fields: unknown, key: Record<string, unknown>): unknown {
  if (!isObject(fields)) return undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (!k.startsWith('k:')) continue;
    try {
      const parsed: unknown = JSON.parse(k.slice(2));
      if (isObject(parsed) && same(parsed, key)) return v;
    } catch {
      // not a key of ours
    }
  }
  return undefined;
}

/** Whether a manager's fields (fieldsV1) hold the entry of `key` of the list at `path`. */
function owns(fieldsV1: unknown, path: readonly Step[], key: Record<string, unknown>): boolean {
  let at: unknown = fieldsV1;
  for (const s of path)
    at = typeof s === 'string' ? (isObject(at) ? at[`f:${s}`] : undefined) : keyed(at, { name: s.name });
  return keyed(at, key) !== undefined;
}

/**
 * The entries of `live` that stay when `rendered` is applied with field manager `manager` and whose name
 * a rendered entry of another key has. An entry only mesh's Apply entry owns is not one: applying removes
 * it. Nor is a live entry whose key mesh renders (under another name): applying renames it.
 */
export function nameCollisions(
  live: unknown,
  rendered: Record<string, any>,
  manager: string,
): NameCollision[] {
  if (!isObject(live)) return [];
  const managed: ManagedFields[] = list(live.metadata?.managedFields).filter(isObject);
  const out: NameCollision[] = [];
  for (const { path, keys } of keyedLists(rendered)) {
    const mine = list(listAt(rendered, path)).filter(isObject);
    const show = (e: Record<string, any>) => `${e[keys[0]]}/${e[keys[1]] ?? 'TCP'}`;
    for (const e of list(listAt(live, path)).filter(isObject)) {
      const twin = mine.find((m) => m.name !== undefined && m.name === e.name);
      const key = keyOf(e, keys);
      if (!twin || mine.some((m) => same(keyOf(m, keys), key))) continue;
      const owners = managed.filter((m) => owns(m.fieldsV1, path, key));
      const others = owners.filter((m) => !(m.manager === manager && m.operation === 'Apply'));
      if (owners.length > 0 && others.length === 0) continue;
      out.push({
        path,
        name: String(e.name),
        live: show(e),
        rendered: show(twin),
        managers: [...new Set(others.map((m) => m.manager ?? '?'))],
      });
    }
  }
  return out;
}

/** One line for a conflict: `name "https-dns" of .spec.ports is taken by port 15013/TCP, written by "kubectl-edit"; …`. */
export function collisionMessage(cs: readonly NameCollision[]): string {
  return cs
    .map(
      (c) =>
        `name "${c.name}" of ${fieldPath(c.path)} is taken by port ${c.live}, written by ${
          c.managers.length ? c.managers.map((m) => `"${m}"`).join(', ') : 'an unknown manager'
        }; mesh gives it to port ${c.rendered} (--force removes port ${c.live})`,
    )
    .join('; ');
}

/** The index of the entry named like `c` in `list` (names are unique in a valid object). */
const indexOf = (list: readonly unknown[], c: NameCollision) =>
  list.findIndex((e) => isObject(e) && e.name === c.name);

/** The JSON pointer steps of the list at `path` in `o` (containers by their index). */
function pointerOf(o: unknown, path: readonly Step[]): Array<string | number> {
  let at: unknown = o;
  return path.map((s) => {
    if (typeof s === 'string') {
      at = isObject(at) ? at[s] : undefined;
      return s;
    }
    const i = list(at).findIndex((e) => isObject(e) && e.name === s.name);
    at = list(at)[i];
    return i;
  });
}

/**
 * The JSON patch (RFC 6902) that removes the live entries of `cs` from `live` and nothing else; the
 * resourceVersion read makes the server refuse it (409) when the object changed since.
 */
export function removalPatch(live: Record<string, any>, cs: readonly NameCollision[]): object[] {
  const removals = cs
    .map((c) => ({ list: pointerOf(live, c.path), index: indexOf(list(listAt(live, c.path)), c) }))
    .filter((r) => r.index >= 0)
    // last index first, so that each removal leaves the indexes of the others as they were
    .sort((a, b) => b.index - a.index);
  return [
    { op: 'replace', path: '/metadata/resourceVersion', value: live.metadata?.resourceVersion },
    ...removals.map((r) => ({ op: 'remove', path: `/${[...r.list, r.index].join('/')}` })),
  ];
}

/** `rendered` without its entries of the names in `cs` (a copy). */
export function withoutTakenNames<T>(rendered: T, cs: readonly NameCollision[]): T {
  const copy = structuredClone(rendered);
  for (const c of cs) {
    const entries = listAt(copy, c.path) ?? [];
    const i = indexOf(entries, c);
    if (i >= 0) entries.splice(i, 1);
  }
  return copy;
}

/** `stored` (the object as the server has it) with the entries of `cs` replaced by the rendered ones (a copy). */
export function withRenderedEntries<T>(stored: T, rendered: unknown, cs: readonly NameCollision[]): T {
  const copy = structuredClone(stored);
  for (const c of cs) {
    const entries = listAt(copy, c.path) ?? [];
    const i = indexOf(entries, c);
    const mine = listAt(rendered, c.path)?.find((e) => isObject(e) && e.name === c.name);
    if (i >= 0 && mine) entries.splice(i, 1, structuredClone(mine));
  }
  return copy;
}
