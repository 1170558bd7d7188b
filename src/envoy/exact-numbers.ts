/**
 * Numbers of a dump that a JavaScript number cannot hold as written: beyond a double's range (`1e400`
 * reads as Infinity, which JSON writes as `null`), integers beyond 2^53 (18446744073709551615, a uint64
 * Envoy can write unquoted, reads as 18446744073709552000), more digits than a double keeps, `1e-400`
 * (reads as 0), `-0` (written back as 0). JSON.parse and js-yaml change them in silence; read exactly,
 * each is an `ExactNumber` holding its text, which `jsonText` and `toGoYaml` write as it was.
 *
 * Reading exactly is for outputs that write a dump's values back (`-o json|yaml`): it costs a pass over
 * the text, and only text holding such a number is parsed the slower way (`parseJsonExactly`).
 */
import type * as JsYaml from 'js-yaml';
import { stringEnd } from '../manifests/json-error.js';
import { setOwn } from '../util/values.js';

const TEXT = Symbol('exact number text');

/**
 * A number kept as its text. A function object rather than a plain one: every walker over parsed JSON
 * (case conversion, redaction, comparison, normalisation) tells maps by `typeof v === 'object'`, so it
 * keeps this whole as a leaf. `String()`, template literals and `Number()` read its text; JSON.stringify
 * writes it as a string of its text (its `toJSON`), which loses nothing where an output does not write
 * it bare.
 */
export type ExactNumber = (() => string) & { readonly [TEXT]: string };

/** Whether any ExactNumber was made in this process (until then `jsonText` is JSON.stringify). */
let made = false;

function exactNumber(text: string): ExactNumber {
  made = true;
  const f = () => text;
  return Object.assign(f, { [TEXT]: text, toJSON: f, toString: f });
}

/** The text of an ExactNumber; undefined for anything else. */
export function exactText(v: unknown): string | undefined {
  return typeof v === 'function' ? (v as Partial<ExactNumber>)[TEXT] : undefined;
}

/** A JSON number's exact decimal value, to compare: sign, significant digits, and where the point is. */
function decimal(text: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text)!;
  const digits = m[2]! + (m[3] ?? '');
  const first = digits.search(/[1-9]/);
  if (first < 0) return `${m[1]}0`;
  const point = BigInt(m[4] ?? 0) + BigInt(m[2]!.length - first);
  return `${m[1]}${digits.slice(first).replace(/0+$/, '')}e${point}`;
}

/** A JSON number token as a number when JSON.stringify writes that number back with the same value. */
function numberOf(token: string): number | ExactNumber {
  const v = Number(token);
  // up to 15 digits, without exponent or negative zero, every token is exact
  if (token.length < 16 && !/[eE]|^-0(?:\.0*)?$/.test(token)) return v;
  return Number.isFinite(v) && decimal(String(v)) === decimal(token) ? v : exactNumber(token);
}

/**
 * Whether JSON text may hold a number JSON.parse changes: a number token (after `:`, `,` or `[`) with an
 * exponent, 16 or more digits, or a negative zero. Text in strings can look so too (it then costs an
 * exact parse that finds nothing).
 */
const MAYBE_INEXACT = /[:,[][ \t\n\r]*(?:-?[\d.]+[eE]|-?[\d.]{16}|-0(?:\.0*)?(?![\d.eE]))/;

export const mayHoldInexactNumber = (text: string) => MAYBE_INEXACT.test(text);

const LITERALS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

/** JSON text (already known to parse) with numbers JSON.parse would change kept as ExactNumbers. */
function parseExact(text: string): unknown {
  let i = 0;
  const ws = () => {
    for (let c = text[i]; c === ' ' || c === '\n' || c === '\r' || c === '\t'; c = text[++i]);
  };
  const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
  const string = (): string => {
    const end = stringEnd(text, i);
    const s = JSON.parse(text.slice(i, end + 1)) as string;
    i = end + 1;
    return s;
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const list = c === '[';
      const out: Record<string, unknown> | unknown[] = list ? [] : {};
      i++;
      ws();
      if (text[i] === (list ? ']' : '}')) {
        i++;
        return out;
      }
      for (;;) {
        if (list) (out as unknown[]).push(value());
        else {
          ws();
          const key = string();
          ws();
          i++; // :
          setOwn(out as Record<string, unknown>, key, value());
        }
        ws();
        if (text[i++] !== ',') return out; // ] or }
      }
    }
    for (const [word, literal] of LITERALS)
      if (text.startsWith(word, i)) {
        i += word.length;
        return literal;
      }
    NUMBER.lastIndex = i;
    const token = NUMBER.exec(text)![0];
    i += token.length;
    return numberOf(token);
  };
  return value();
}

/** JSON.parse, with numbers it would change kept as ExactNumbers (see the module's comment). */
export function parseJsonExactly(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return mayHoldInexactNumber(text) ? parseExact(text) : value;
}

/** `JSON.stringify(value, null, indent)`, with ExactNumbers written as the numbers they are. */
export function jsonText(value: unknown, indent: number): string {
  if (!made) return JSON.stringify(value, null, indent);
  const step = ' '.repeat(indent);
  const write = (v: unknown, pad: string): string | undefined => {
    const exact = exactText(v);
    if (exact !== undefined) return exact;
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const inner = pad + step;
    const items = Array.isArray(v)
      ? v.map((x) => write(x, inner) ?? 'null')
      : Object.keys(v).flatMap((k) => {
          const s = write((v as Record<string, unknown>)[k], inner);
          return s === undefined ? [] : [`${JSON.stringify(k)}: ${s}`];
        });
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    return items.length === 0
      ? open + close
      : `${open}\n${inner}${items.join(`,\n${inner}`)}\n${pad}${close}`;
  };
  return write(value, '') as string;
}

let exactSchema: JsYaml.Schema | undefined;

/**
 * js-yaml's core schema reading numbers as the JSON reader does (`parseJsonExactly`): one JavaScript cannot
 * hold as written (`18446744073709551615`, `1e400`, `-0`) is an ExactNumber of its text as JSON writes it
 * (`0xFFFFFFFFFFFFFFFF` as its decimal digits). js-yaml alone rounds the first, reads `1e400` as a string
 * and `-0` as 0. Made once.
 */
export function exactYamlSchema(yaml: typeof JsYaml): JsYaml.Schema {
  return (exactSchema ??= buildExactYamlSchema(yaml));
}

function buildExactYamlSchema(yaml: typeof JsYaml): JsYaml.Schema {
  // js-yaml exports its types (@types/js-yaml does not declare them)
  type Scalar = JsYaml.Type & { resolve(d: string): boolean; construct(d: string): unknown };
  const types = (yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', Scalar> }).types;
  const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
  const int = new yaml.Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    resolve: (data: string) => types.int.resolve(data),
    construct: (data: string): unknown => {
      const v = types.int.construct(data) as number;
      if (Number.isSafeInteger(v) && !(v === 0 && data[0] === '-')) return v;
      const sign = data[0] === '-' ? '-' : '';
      return exactNumber(`${sign}${BigInt(data.replace(/^[-+]/, '').replace(/_/g, ''))}`);
    },
  });
  const float = new yaml.Type('tag:yaml.org,2002:float', {
    kind: 'scalar',
    resolve: (data: string) => types.float.resolve(data) || FLOAT.test(data),
    construct: (data: string): unknown => {
      if (!FLOAT.test(data)) return types.float.construct(data); // .inf, .nan
      // as JSON writes it: no `+`, no leading zeros, a digit on each side of the point
      const token = data
        .replace(/^\+/, '')
        .replace(/^(-?)0+(?=\d)/, '$1')
        .replace(/^(-?)\./, '$10.')
        .replace(/\.(?=[eE]|$)/, '');
      return numberOf(token);
    },
  });
  return yaml.FAILSAFE_SCHEMA.extend({ implicit: [types.null, types.bool, int, float] });
}

/** Text pieces are joined up to this length before they are handed out (see `jsonTextPieces`). */
const PIECE = 1 << 20;

/**
 * `jsonText(value, indent)` in pieces, for a value whose text may be longer than a JavaScript string can
 * be (≈ 512 MiB: `-o json` of a 350 MB dump's listeners): the lists and objects of its first `levels`
 * levels are written element by element, what lies below them whole (a dump's resources sit at level 4:
 * configs, section, list, resource). Joined, the pieces are exactly `jsonText`'s text.
 */
export function* jsonTextPieces(value: unknown, indent: number, levels = 4): Generator<string> {
  const step = ' '.repeat(indent);
  // what JSON.stringify leaves out of an object, and writes as null in a list (an ExactNumber is a
  // function that is written)
  const absent = (v: unknown) =>
    v === undefined || typeof v === 'symbol' || (typeof v === 'function' && exactText(v) === undefined);
  let buffered = '';
  function* put(text: string): Generator<string> {
    buffered += text;
    if (buffered.length >= PIECE) {
      yield buffered;
      buffered = '';
    }
  }
  function* write(v: unknown, pad: string, level: number): Generator<string> {
    if (level >= levels || exactText(v) !== undefined || v === null || typeof v !== 'object') {
      const text = jsonText(v, indent);
      // a JSON text has no line break but those between its elements: each is indented by `pad` more
      yield* put(pad === '' ? text : text.replaceAll('\n', `\n${pad}`));
      return;
    }
    const inner = pad + step;
    const list = Array.isArray(v);
    const entries: Array<[string | undefined, unknown]> = list
      ? v.map((x) => [undefined, absent(x) ? null : x])
      : Object.keys(v)
          .filter((k) => !absent((v as Record<string, unknown>)[k]))
          .map((k) => [k, (v as Record<string, unknown>)[k]]);
    const [open, close] = list ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return yield* put(open + close);
    yield* put(`${open}\n`);
    for (let i = 0; i < entries.length; i++) {
      const [k, x] = entries[i]!;
      yield* put(i === 0 ? inner : `,\n${inner}`);
      if (k !== undefined) yield* put(`${JSON.stringify(k)}: `);
      yield* write(x, inner, level + 1);
    }
    yield* put(`\n${pad}${close}`);
  }
  yield* write(value, '', 0);
  if (buffered !== '') yield buffered;
}
