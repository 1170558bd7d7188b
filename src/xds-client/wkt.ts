/**
 * Proto3 JSON for the well-known types, as protobufjs "wrappers": protobufjs decodes the bytes and its
 * converter calls these for every Timestamp, Duration, Struct, Value, ListValue and wrapper value it
 * meets, so decoded messages read like Envoy's and istiod's own JSON (RFC 3339 times, `"1.5s"`
 * durations, Structs as plain objects, wrappers as bare values). `fromObject` accepts a plain object
 * for a Struct (requests carry node metadata that way). protobufjs already does this for Any.
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

// RFC 3339 and google.protobuf.Timestamp cover 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/**
 * A Timestamp as RFC 3339. One outside the range the type allows (a broken or hostile control plane)
 * is written as what it is, not mangled into another date and not an error that loses the whole answer.
 */
export function timestampJson(seconds: number, nanos: number): string {
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS && nanos >= 0 && nanos <= 999_999_999))
    return `invalid timestamp (seconds ${seconds}, nanos ${nanos})`;
  const iso = new Date(seconds * 1000).toISOString(); // …T12:34:56.000Z
  return iso.slice(0, 19) + fraction(nanos) + 'Z';
}

export function durationJson(seconds: number, nanos: number): string {
  const neg = seconds < 0 || nanos < 0;
  return `${neg ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

// protobufjs only hands objects to a message field's converter, so times arrive as {seconds, nanos}
function passThrough(this: WrapperThis, o: Msg) {
  return this.fromObject(o);
}

const VALUE_KEYS = ['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue'];

const isJson = (o?: protobuf.IConversionOptions) => Boolean((o as { json?: boolean } | undefined)?.json);

/**
 * The field a Value holds. A decoded Value has every field's default on its prototype (`stringValue`
 * is `""` there), so only its own fields say which one was sent; a Value with none is a null.
 */
function valueKind(v: Msg): string | undefined {
  return VALUE_KEYS.find((k) => Object.hasOwn(v, k) && v[k] !== undefined && v[k] !== null);
}

function valueToJson(this: WrapperThis, v: Msg | undefined): unknown {
  if (!v) return null;
  const kind = valueKind(v);
  if (kind === 'structValue') return structToJson.call(this, v.structValue as Msg);
  if (kind === 'listValue')
    return ((v.listValue as Msg).values ?? []).map((x: Msg) => valueToJson.call(this, x));
  if (kind === 'stringValue' || kind === 'numberValue' || kind === 'boolValue') return v[kind];
  return null;
}

function structToJson(this: WrapperThis, s: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((s.fields ?? {}) as Record<string, Msg>))
    out[k] = valueToJson.call(this, v);
  return out;
}

function valueFromJson(v: unknown): Msg {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(valueFromJson) } };
  return { structValue: structFromJson(v as Record<string, unknown>) };
}

function structFromJson(o: Record<string, unknown>): Msg {
  return { fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, valueFromJson(v)])) };
}

// protobufjs defines struct.proto itself (src/common.js), with camelCase field names whatever keepCase says.

/** A message that is already in its own (non-JSON) shape passes to the original converter. */
const isProtoShape = (o: unknown, keys: string[]) =>
  typeof o === 'object' && o !== null && !Array.isArray(o) && keys.some((k) => k in (o as object));

const WRAPPERS: Record<string, protobuf.IWrapper> = {
  '.google.protobuf.Timestamp': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return timestampJson(num(m.seconds), num(m.nanos)) as unknown as Msg;
    },
    fromObject: passThrough,
  },
  '.google.protobuf.Duration': {
    toObject(this: WrapperThis, m: Msg, o?: protobuf.IConversionOptions) {
      if (!isJson(o)) return this.toObject(m, o);
      return durationJson(num(m.seconds), num(m.nanos)) as unknown as Msg;
    },
    fromObject: passThrough,
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
