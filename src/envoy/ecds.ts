/** `proxy-config ecds`: extension configs by name and type. */
import type { Resource } from './dump.js';
import { obj, str, typeUrl } from './fields.js';
import { goSortSlice } from './gosort.js';

export const ECDS_HEADER = ['ECDS NAME', 'TYPE'];

/** ECDS NAME and TYPE (typed_config `@type` without its `type.googleapis.com/` prefix), by (type URL, name). */
export function ecdsRows(filters: readonly Resource[]): string[][] {
  const rows = filters.map((r) => {
    const url = typeUrl(obj(r.value, 'typed_config'));
    return { url, name: str(r.value, 'name') };
  });
  goSortSlice(rows, (a, b) => (a.url !== b.url ? a.url < b.url : a.name < b.name));
  return rows.map((r) => [r.name, r.url.replace(/^type\.googleapis\.com\//, '')]);
}
