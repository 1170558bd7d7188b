/**
 * `proxy-config bootstrap` and `secret -o json` as istioctl prints them: with the legacy Go `jsonpb`
 * marshaller (github.com/golang/protobuf), 4-space indent. Its layout is Go's indented JSON but for three
 * things, which follow from how it passes indentation down:
 *
 * - a message without fields is `{`, an empty line, then `}` (`"trustedCa": {\n\n    }`);
 * - a google.protobuf.Struct (node metadata, filter metadata) is indented one level deeper than its key,
 *   its closing brace too, and each Struct nested in a Struct one level more again;
 * - an Any holding a well-known type is `{"@type": …, "value": …}`.
 *
 * The value is protobuf-JSON (`toProtoJson`), in declaration order (`inProtoOrder`); message types come
 * from dist/envoy-types.json. A value whose type is not known there is written as a message of its keys.
 */
import { envoyTypes, type EnvoyTypes, type Field } from '../analyzers/schema/rules/envoy-fields.js';
import { jsonText } from './exact-numbers.js';
import { isObj } from './fields.js';

const I = '    ';
const ANY = 'google.protobuf.Any';
const STRUCT = 'google.protobuf.Struct';
const LIST = 'google.protobuf.ListValue';
const VALUE = 'google.protobuf.Value';
/** TypedStruct is not in the Envoy tables (its .proto lives outside envoy/): its value is a Struct. */
const TYPED_STRUCT: Record<string, Field> = { typeUrl: ['s', '', ''], value: ['m', STRUCT, ''] };

const scalar = (v: unknown) =>
  jsonText(v, 0).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

class Writer {
  readonly out: string[] = [];
  constructor(private readonly types: EnvoyTypes | null) {}

  private fields(type: string): Record<string, Field> | undefined {
    if (type.endsWith('.TypedStruct')) return TYPED_STRUCT;
    return this.types && Object.hasOwn(this.types.messages, type) ? this.types.messages[type] : undefined;
  }

  /** jsonpb's marshalMessage: `indent` is the message's own indentation. */
  message(v: unknown, type: string, indent: string, typeUrl = ''): void {
    if (type === STRUCT) return this.value(v, [isObj(v) ? 'm' : 's', VALUE, isObj(v) ? 'k' : ''], indent);
    if (type === LIST) return this.value(v, ['m', VALUE, 'r'], indent);
    if (type === VALUE) {
      if (isObj(v)) return this.message(v, STRUCT, indent + I);
      if (Array.isArray(v)) return this.message(v, LIST, indent + I);
      return void this.out.push(scalar(v));
    }
    if (!isObj(v)) return void this.out.push(scalar(v)); // wrappers, Duration, Timestamp, FieldMask…
    if (type === ANY && typeof v['@type'] === 'string') {
      const url = v['@type'];
      const t = url.slice(url.lastIndexOf('/') + 1);
      if (!t.startsWith('google.protobuf.')) return this.message(v, t, indent, url);
      this.out.push('{\n', indent, I, '"@type": ', scalar(url), ',\n', indent, I, '"value": ');
      this.message(v['value'], t, indent + I);
      return void this.out.push('\n', indent, '}');
    }
    const fields = this.fields(type);
    this.out.push('{\n');
    let first = true;
    if (typeUrl !== '' || Object.hasOwn(v, '@type')) {
      this.out.push(indent, I, '"@type": ', scalar(typeUrl || v['@type']));
      first = false;
    }
    for (const [k, fv] of Object.entries(v)) {
      if (k === '@type') continue;
      if (!first) this.out.push(',\n');
      first = false;
      this.out.push(indent, I, scalar(k), ': ');
      const f: Field | undefined = fields && Object.hasOwn(fields, k) ? fields[k] : undefined;
      this.value(fv, f ?? (Array.isArray(fv) ? ['m', '', 'r'] : ['m', '', '']), indent);
    }
    this.out.push('\n', indent, '}');
  }

  /** jsonpb's marshalValue: a field's value; `indent` is that of the message holding the field. */
  private value(v: unknown, f: Field, indent: string): void {
    const shape = f[2];
    if (shape === 'r' && Array.isArray(v)) {
      this.out.push('[');
      v.forEach((e, i) => {
        this.out.push(i ? ',\n' : '\n', indent, I, I);
        this.singular(e, f, indent + I);
      });
      return void this.out.push('\n', indent, I, ']');
    }
    if (shape === 'k' && isObj(v)) {
      this.out.push('{');
      Object.keys(v).forEach((k, i) => {
        this.out.push(i ? ',\n' : '\n', indent, I, I, scalar(k), ': ');
        this.singular(v[k], f, indent + I);
      });
      return void this.out.push('\n', indent, I, '}');
    }
    this.singular(v, f, indent);
  }

  /** jsonpb's marshalSingularValue. */
  private singular(v: unknown, [kind, type]: Field, indent: string): void {
    if (v === null) return void this.out.push('null');
    if (kind === 'm' && (isObj(v) || type.startsWith('google.protobuf.')))
      return this.message(v, type, indent + I);
    this.out.push(scalar(v));
  }
}

/**
 * The message `value` of the Envoy type `type` (full name) as istioctl's jsonpb writes it, in pieces (the
 * text of a large dump may be longer than one string can be).
 */
export function legacyJsonpbPieces(value: unknown, type: string): string[] {
  const w = new Writer(envoyTypes());
  w.message(value, type, '');
  return w.out;
}
