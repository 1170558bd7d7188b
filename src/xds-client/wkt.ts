/**
 * Proto3 JSON for the well-known types, as protobufjs "wrappers": protobufjs decodes the bytes and its
 * converter calls these for every Timestamp, Duration, Struct, Value, ListValue and wrapper value it
 * meets, so decoded messages read like Envoy's and istiod's own JSON (RFC 3339 times, `"1.5s"`
 * durations, Structs as plain objects, wrappers as bare values). `fromObject` accepts the same JSON
 * (our requests carry node metadata as a plain object). protobufjs already does this for Any.
 *
 * Installed once, before any type is used (protobufjs reads the wrapper when it sets a type up).
 */
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

// Required at run time (not bundled), so that it is the very instance @grpc/proto-loader uses.
const require = createRequire(import.meta.url);

type Msg = Record<string, any>;
interface WrapperThis {
  toObject(message: Msg, options?: protobuf.IConversionOptions): Msg;
  fromObject(object: Msg): protobuf.Message;
  lookupType(path: string): protobuf.Type;
  create(properties?: Msg): protobuf.Message;
}

const num = (v: unknown): number => (v === undefined || v === null ? 0 : Number(String(v)));

/** Fraction digits as protojson prints them: none, 3, 6 or 9. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const s = String(nanos).padStart(9, '0');
  if (nanos % 1_000_000 === 0) return '.' + s.slice(0, 3);
  if (nanos % 1_000 === 0) return '.' + s.slice(0, 6);
  return '.' + s;
}

export function timestampJson(seconds: number, nanos: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // …T12:34:56.000Z
  return iso.slice(0, 19) + fraction(nanos) + 'Z';
}

export function durationJson(seconds: number, nanos: number): string {
  const neg = seconds < 0 || nanos < 0;
  return `${neg ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

function parseTimestamp(text: string): { seconds: number; nanos: number } {
  const m = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  const ms = Date.parse(m ? m[1] + m[3] : text);
  if (!m || Number.isNaN(ms)) throw new Error(`invalid timestamp "${text}"`);
  return { seconds: Math.floor(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function parseDurationJson(text: string): { seconds: number; nanos: number } {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw new Error(`invalid duration "${text}"`);
  const sign = m[1] ? -1 : 1;
  return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
}

const isJson = (o?: protobuf.IConversionOptions) => Boolean((o as { json?: boolean } | undefined)?.json);

function valueToJson(this: WrapperThis, v: Msg | undefined): unknown {
  if (!v) return null;
  if (v.struct_value !== undefined && v.struct_value !== null)
    return structToJson.call(this, v.struct_value as Msg);
  if (v.list_value !== undefined && v.list_value !== null)
    return ((v.list_value as Msg).values ?? []).map((x: Msg) => valueToJson.call(this, x));
  if (v.string_value !== undefined && v.string_value !== null) return v.string_value;
  if (v.number_value !== undefined && v.number_value !== null) return v.number_value;
  if (v.bool_value !== undefined && v.bool_value !== null) return v.bool_value;
  return null;
}

function structToJson(this: WrapperThis, s: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((s.fields ?? {}) as Record<string, Msg>))
    out[k] = valueToJson.call(this, v);
  return out;
}

function valueFromJson(v: unknown): Msg {
  if (v === null || v === undefined) return { null_value: 0 };
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'number') return { number_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (Array.isArray(v)) return { list_value: { values: v.map(valueFromJson) } };
  return { struct_value: structFromJson(v as Record<string, unknown>) };
}

function structFromJson(o: Record<string, unknown>): Msg {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, valueFromJson(v)])) };
}

/** A message that is already in its own (non-JSON) shape passes to the original converter. */
const isProtoShape = (o: unknown, keys: string[]) =>
  typeof o === 'object' && o !== null && !Array.isArray(o) && keys.some((k) => k in (o as object));

const VALUE_KEYS = ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'];

const WRAPPERS: Record<string, protobuf.IWrapper> = {
  '.google.protobuf.Timestamp': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return timestampJson(num(m.seconds), num(m.nanos)) as unknown as Msg;
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(typeof o === 'string' ? parseTimestamp(o) : o);
    },
  },
  '.google.protobuf.Duration': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return durationJson(num(m.seconds), num(m.nanos)) as unknown as Msg;
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(typeof o === 'string' ? parseDurationJson(o) : o);
    },
  },
  '.google.protobuf.Struct': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return structToJson.call(this, m);
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(isProtoShape(o, ['fields']) ? o : structFromJson(o));
    },
  },
  '.google.protobuf.Value': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return valueToJson.call(this, m) as Msg;
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(isProtoShape(o, VALUE_KEYS) ? o : valueFromJson(o));
    },
  },
  '.google.protobuf.ListValue': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return ((m.values ?? []) as Msg[]).map((x) => valueToJson.call(this, x)) as unknown as Msg;
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(Array.isArray(o) ? { values: o.map(valueFromJson) } : o);
    },
  },
};

// Wrapper types (BoolValue, UInt32Value, …) print as their bare value; 64-bit ones as strings.
for (const name of ['Double', 'Float', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes', 'Int64', 'UInt64']) {
  const long = name === 'Int64' || name === 'UInt64';
  WRAPPERS[`.google.protobuf.${name}Value`] = {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      const obj = this.toObject(m, o);
      if (!isJson(o)) return obj;
      const v = obj.value ?? (name === 'Bool' ? false : name === 'String' || name === 'Bytes' ? '' : 0);
      return (long ? String(v) : v) as Msg;
    },
    fromObject(this: WrapperThis, o: Msg) {
      return this.fromObject(isProtoShape(o, ['value']) ? o : { value: o });
    },
  };
}

let installed = false;

/** Registers the wrappers with protobufjs (idempotent). */
export function installWellKnownTypes(): void {
  if (installed) return;
  installed = true;
  const pb = require('protobufjs') as typeof protobuf;
  Object.assign(pb.wrappers, WRAPPERS);
}
