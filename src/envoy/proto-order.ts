/**
 * The field order of istioctl's `-o json`: istioctl decodes the dump into Envoy's messages and prints them
 * with Go's protojson, which writes a message's fields in the order the .proto file declares them. Envoy
 * writes its dump in field-number order, which differs wherever a field was added out of order (a
 * Cluster's `common_lb_config` = 27 is declared before `transport_socket` = 24; `transport_socket_matches`
 * comes first of all). The declaration order is read from dist/envoy-types.json (the .proto files that
 * ship with @grpc/grpc-js-xds, see scripts/build-envoy-types.mjs). Fields of types it does not describe
 * (Structs, other well-known types, an Any of an unknown type, fields it does not know) keep the dump's
 * order; unknown fields follow the known ones. A repeated or map field that is empty, and a scalar or enum
 * field at its default (`false`, 0, "", an enum's first value) that has no presence, are left out, as protojson
 * leaves them out (Envoy's /clusters answer writes `added_via_api: false`; a hand-made dump may write others).
 */
import { envoyTypes, type EnvoyTypes } from '../analyzers/schema/rules/envoy-fields.js';
import { setOwn } from '../util/values.js';
import { isObj, type Obj } from './fields.js';

const ANY = 'google.protobuf.Any';

/** Per message: each field's name (proto and JSON) → its rank in declaration order. */
const ranks = new Map<string, Map<string, number>>();

function rankOf(types: EnvoyTypes, type: string): Map<string, number> {
  let rank = ranks.get(type);
  if (!rank) {
    // the table lists the fields in declaration order, each under its proto name, then its JSON name: their
    // positions in it order the fields as their declarations do
    rank = new Map(Object.keys(types.messages[type]!).map((name, i) => [name, i]));
    ranks.set(type, rank);
  }
  return rank;
}

/** Whether a scalar's or enum's value is its proto3 default (an enum's first value is its 0). */
function isDefault(types: EnvoyTypes, kind: string, type: string, v: unknown): boolean {
  if (kind === 's') return v === false || v === 0 || v === '' || (v === '0' && /64$/.test(type));
  if (kind === 'e') return v === 0 || (Object.hasOwn(types.enums, type) && v === types.enums[type]![0]);
  return false;
}

function ordered(types: EnvoyTypes, value: unknown, type: string): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(types, v, type));
  if (!isObj(value)) return value;
  let t = type;
  if (t === ANY) {
    const url = value['@type'];
    if (typeof url !== 'string') return value;
    t = url.slice(url.lastIndexOf('/') + 1);
  }
  if (!Object.hasOwn(types.messages, t)) return value;
  const fields = types.messages[t]!;
  const rank = rankOf(types, t);
  const keys = Object.keys(value).filter((k) => k !== '@type');
  const known = keys.filter((k) => rank.has(k)).sort((a, b) => rank.get(a)! - rank.get(b)!);
  const out: Obj = {};
  if (Object.hasOwn(value, '@type')) out['@type'] = value['@type'];
  for (const k of known) {
    const [kind, ft, shape, presence] = fields[k]!;
    const v = value[k];
    // a scalar or enum at its default, without presence, is not set: protojson leaves it out
    if (shape === '' && presence !== 'p' && isDefault(types, kind, ft, v)) continue;
    // an empty list or map is not set: protojson leaves it out
    if (
      (shape === 'r' && Array.isArray(v) && v.length === 0) ||
      (shape === 'k' && isObj(v) && Object.keys(v).length === 0)
    )
      continue;
    if (kind !== 'm') setOwn(out, k, v);
    else if (shape === 'k' && isObj(v)) {
      const m: Obj = {};
      for (const [mk, mv] of Object.entries(v)) setOwn(m, mk, ordered(types, mv, ft));
      setOwn<unknown>(out, k, m);
    } else setOwn(out, k, ordered(types, v, ft));
  }
  for (const k of keys) if (!rank.has(k)) setOwn(out, k, value[k]);
  return out;
}

/** A protobuf-JSON value of the Envoy message `type` (full name) with its fields as protojson writes them. */
export function inProtoOrder(value: unknown, type: string): unknown {
  const types = envoyTypes();
  return types ? ordered(types, value, type) : value;
}
