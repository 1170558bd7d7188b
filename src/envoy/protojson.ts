/**
 * Output encodings of Envoy config as istioctl prints them: protobuf-JSON field names (lowerCamelCase;
 * map keys and google.protobuf.Struct contents untouched), Go's `json.MarshalIndent` layout, and the
 * redaction of private key material before anything is printed.
 */
import { ownValue, setOwn } from '../util/values.js';
import { jsonText, jsonTextPieces } from './exact-numbers.js';
import { camel, isObj, SECRET_FIELDS, snake as snakeName, typeUrl, type Obj } from './fields.js';

/** Fields whose value is a Struct (or map of Structs): copied verbatim, keys and all. */
const VERBATIM_FIELDS = new Set(['filter_metadata', 'static_layer', 'default_subset']);
/** Map fields whose keys are data but whose values are messages. */
const MAP_FIELDS = new Set([
  'typed_per_filter_config',
  'typed_extension_protocol_options',
  'typed_filter_metadata',
  'policies',
  'key_values',
  'map',
  'dynamic_parameters',
]);
/** Fields that are Structs only under certain parents (`node.metadata`, `transport_socket_matches[].match`). */
const VERBATIM_UNDER: Record<string, string[]> = {
  metadata: ['node', 'user_agent_build_version'],
  match: ['transport_socket_matches'],
};
const STRUCT_ANY =
  /\/(?:udpa\.type\.v1|xds\.type\.v3)\.TypedStruct$|\/google\.protobuf\.(?:Struct|Value|ListValue)$/;

/** A Struct (or map of Structs) as protojson prints it: keys sorted at every level, names untouched. */
function sortedStruct(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedStruct);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) setOwn(out, k, sortedStruct(v[k]));
  return out;
}

/**
 * Converts Envoy's snake_case JSON to protojson's lowerCamelCase, leaving map keys and Struct values alone
 * (but sorted, as protojson orders map entries). Input that already uses camelCase keeps its names.
 */
export function toProtoJson(value: unknown, parent = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toProtoJson(v, parent));
  if (!isObj(value)) return value;
  const out: Obj = {};
  const structAny = STRUCT_ANY.test(typeUrl(value));
  for (const [k, v] of Object.entries(value)) {
    if (k === '@type') {
      out[k] = v;
      continue;
    }
    const snake = snakeName(k);
    const key = camel(k);
    if (
      VERBATIM_FIELDS.has(snake) ||
      (structAny && snake === 'value') ||
      ownValue(VERBATIM_UNDER, snake)?.includes(parent)
    ) {
      setOwn(out, key, sortedStruct(v));
    } else if (MAP_FIELDS.has(snake) && isObj(v)) {
      const m: Obj = {};
      for (const mk of Object.keys(v).sort()) setOwn(m, mk, toProtoJson(v[mk], snake));
      setOwn<unknown>(out, key, m);
    } else {
      setOwn(out, key, toProtoJson(v, snake));
    }
  }
  return out;
}

/** What a secret reads as once redacted (Envoy's word for the `private_key` it redacts). */
export const REDACTED = '[redacted]';
const REDACTED_BYTES = Buffer.from(REDACTED).toString('base64');

/**
 * String fields that are credentials: gRPC call credentials (access and refresh tokens, IAM
 * authorization tokens, service-account JSON keys) and SkyWalking's backend token. Envoy redacts only the
 * last itself; a dump from anywhere else may carry any of them.
 */
const SECRET_STRINGS = new Set([
  'access_token',
  'google_refresh_token',
  'authorization_token',
  'json_key',
  'backend_token',
]);

/**
 * Header names of a gRPC service's `initial_metadata` whose values are credentials: Envoy documents the
 * field as the place for ad hoc authorization headers, and does not redact it.
 */
const CREDENTIAL_HEADER = /auth|token|secret|passw|key|cookie|credential|session/i;

/** `initial_metadata` entries ({key, value}) with the values of credential headers redacted. */
function redactMetadata(list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  let changed = false;
  const out = list.map((h) => {
    if (!isObj(h) || typeof h.key !== 'string' || !CREDENTIAL_HEADER.test(h.key)) return h;
    // `value` is text, `raw_value` (rawValue once converted) bytes
    const valueKey = Object.keys(h).find((k) => k === 'value' || snakeName(k) === 'raw_value');
    if (valueKey === undefined) return h;
    const redacted = valueKey === 'value' ? REDACTED : REDACTED_BYTES;
    if (h[valueKey] === redacted) return h;
    changed = true;
    const copy = { ...h };
    setOwn(copy, valueKey, redacted);
    return copy;
  });
  return changed ? out : list;
}

function redactDataSource(ds: unknown): unknown {
  if (Array.isArray(ds)) return ds.map(redactDataSource);
  // a secret field that is not a DataSource (a string, a number) is not what Envoy writes, and may be the
  // key itself: none of it is shown
  if (!isObj(ds)) return ds === null || ds === undefined || ds === REDACTED ? ds : REDACTED;
  const out: Obj = { ...ds };
  let changed = false;
  for (const k of Object.keys(ds)) {
    const snake = snakeName(k);
    if (snake === 'inline_bytes' && ds[k] !== REDACTED_BYTES) {
      out[k] = REDACTED_BYTES;
      changed = true;
    } else if (snake === 'inline_string' && ds[k] !== REDACTED) {
      out[k] = REDACTED;
      changed = true;
    }
  }
  return changed ? out : ds;
}

/**
 * A copy with private keys, passwords and other secret DataSources replaced by `[redacted]` (as Envoy
 * itself does); unchanged subtrees are shared, and the input is returned as is when nothing needed it.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const r = redactSecrets(v);
      if (r !== v) changed = true;
      return r;
    });
    return changed ? out : value;
  }
  if (!isObj(value)) return value;
  let out: Obj | undefined;
  for (const [k, v] of Object.entries(value)) {
    const snake = snakeName(k);
    // `secret` also names the Any inside SecretsConfigDump entries: redact inline data, then look inside
    const r =
      typeof v === 'string' && SECRET_STRINGS.has(snake)
        ? REDACTED
        : snake === 'initial_metadata'
          ? redactMetadata(v)
          : redactSecrets(SECRET_FIELDS.has(snake) ? redactDataSource(v) : v);
    if (r !== v) {
      out ??= { ...value };
      setOwn(out, k, r);
    }
  }
  return out ?? value;
}

/**
 * Go's json.MarshalIndent(v, "", "    ") output: 4-space indent, `<`, `>`, `&`, U+2028/9 escaped; a number
 * kept as its text (exact-numbers.ts) written as it was.
 */
export function goJson(value: unknown): string {
  return goEscapes(jsonText(value, 4));
}

/** `goJson(value)` in pieces (see `jsonTextPieces`): for output that may not fit in one string. */
export function* goJsonPieces(value: unknown): Generator<string> {
  for (const piece of jsonTextPieces(value, 4)) yield goEscapes(piece);
}

function goEscapes(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
