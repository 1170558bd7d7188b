import { objectSchema, resolveRef, type SchemaKind } from './compile.js';

/**
 * A quick "yes" to "does the kind's validator accept this object?", for the common case: most documents
 * are valid, and for them the answer is all that is needed. The schema is read into a small tree of
 * checks, walked by one function, so a cold run does not first have to warm up the dozens of functions
 * ajv generates per kind (about half of the cost of validating a few thousand documents went there).
 * The answer is exact for the keywords below, which are all the schemas use; a kind whose schema uses
 * any other keyword gets no checker and always goes to ajv. A document it rejects goes to ajv, which
 * says what is wrong. A differential test holds it to the ajv validators on every shipped document and
 * thousands of generated ones.
 */
interface Check {
  ref: Check | undefined;
  type: number;
  properties: ReadonlyMap<string, Check> | undefined;
  /** undefined: any; false: none; a check: each additional property's value. */
  additional: Check | false | undefined;
  required: readonly string[] | undefined;
  minProperties: number;
  maxProperties: number;
  items: Check | undefined;
  minItems: number;
  maxItems: number;
  minLength: number;
  maxLength: number;
  pattern: RegExp | undefined;
  minimum: number;
  maximum: number;
  values: ReadonlySet<unknown> | undefined;
  not: Check | undefined;
  anyOf: Check[] | undefined;
  /** True when the check is `type: string` and nothing else (most leaves): tested in place, not walked. */
  plainString: boolean;
}

const ANY = 0;
const OBJECT = 1;
const ARRAY = 2;
const STRING = 3;
const INTEGER = 4;
const NUMBER = 5;
const BOOLEAN = 6;
const TYPES: Readonly<Record<string, number>> = {
  object: OBJECT,
  array: ARRAY,
  string: STRING,
  integer: INTEGER,
  number: NUMBER,
  boolean: BOOLEAN,
};

/** Keywords that only annotate: ajv does not validate them. */
const ANNOTATIONS = new Set(['$id', '$schema', '$defs', '$comment', 'title', 'description', 'default']);

/** A schema keyword this checker does not implement: the kind is left to ajv. */
class Unsupported extends Error {}

function newCheck(): Check {
  return {
    ref: undefined,
    type: ANY,
    properties: undefined,
    additional: undefined,
    required: undefined,
    minProperties: 0,
    maxProperties: Infinity,
    items: undefined,
    minItems: 0,
    maxItems: Infinity,
    minLength: 0,
    maxLength: Infinity,
    pattern: undefined,
    minimum: -Infinity,
    maximum: Infinity,
    values: undefined,
    not: undefined,
    anyOf: undefined,
    plainString: false,
  };
}

/** `type: string` with no other keyword that applies to a string. */
function isPlainString(c: Check): boolean {
  return (
    c.type === STRING &&
    c.ref === undefined &&
    c.values === undefined &&
    c.pattern === undefined &&
    c.minLength === 0 &&
    c.maxLength === Infinity &&
    c.not === undefined &&
    c.anyOf === undefined
  );
}

/** Reads schema nodes into checks, once per node (a node's `$ref` resolves against its own file). */
class Reader {
  /** Each schema file is parsed once, so a node (an object of one file) is its own key. */
  private readonly seen = new Map<object, Check>();

  /** The check of a kind's root schema node, every node of it read. */
  root(schema: unknown, file: string): Check {
    const c = this.read(schema, file);
    for (const check of this.seen.values()) check.plainString = isPlainString(check);
    return c;
  }

  /** The check of a schema node of `file` (against which its `$ref`s resolve). */
  read(schema: unknown, file: string): Check {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Unsupported();
    const known = this.seen.get(schema);
    if (known) return known;
    const c = newCheck();
    this.seen.set(schema, c);
    const s = schema as Record<string, any>;
    for (const [key, value] of Object.entries(s)) {
      switch (key) {
        case '$ref': {
          // the target applies as a whole (its own `$ref` read as a keyword of its own), and the keywords
          // beside `$ref` apply too (as in ajv); a pointer that leads nowhere is left to ajv
          const target = resolveRef(value as string, file);
          c.ref = this.read(target.schema, target.file);
          break;
        }
        case 'type':
          if (typeof value !== 'string' || TYPES[value] === undefined) throw new Unsupported();
          c.type = TYPES[value]!;
          break;
        case 'properties': {
          const names = Object.keys(value as object);
          // ajv reads `data.<name>`, which finds Object.prototype's members too; the check reads own keys
          if (names.some((name) => name in Object.prototype)) throw new Unsupported();
          c.properties = new Map(names.map((name) => [name, this.read((value as any)[name], file)]));
          break;
        }
        case 'additionalProperties':
          if (value === true) c.additional = undefined;
          else if (value === false) c.additional = false;
          else c.additional = this.read(value, file);
          break;
        case 'required':
          c.required = value as string[];
          break;
        case 'items':
          if (Array.isArray(value)) throw new Unsupported();
          c.items = this.read(value, file);
          break;
        case 'enum':
          if (!(value as unknown[]).every((v) => v === null || typeof v !== 'object'))
            throw new Unsupported();
          c.values = new Set(value as unknown[]);
          break;
        case 'pattern':
          c.pattern = new RegExp(value as string, 'u');
          break;
        case 'minProperties':
        case 'maxProperties':
        case 'minItems':
        case 'maxItems':
        case 'minLength':
        case 'maxLength':
        case 'minimum':
        case 'maximum':
          if (typeof value !== 'number') throw new Unsupported();
          c[key] = value;
          break;
        case 'not':
          c.not = this.read(value, file);
          break;
        case 'anyOf':
          c.anyOf = (value as unknown[]).map((sub) => this.read(sub, file));
          break;
        default:
          if (!ANNOTATIONS.has(key)) throw new Unsupported();
      }
    }
    return c;
  }
}

/** Code points, as ajv counts a string's length. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

function accepts(c: Check, v: unknown): boolean {
  if (c.ref !== undefined && !accepts(c.ref, v)) return false;
  switch (c.type) {
    case OBJECT:
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      break;
    case ARRAY:
      if (!Array.isArray(v)) return false;
      break;
    case STRING:
      if (typeof v !== 'string') return false;
      break;
    case INTEGER:
      if (typeof v !== 'number' || !Number.isInteger(v)) return false;
      break;
    case NUMBER:
      if (typeof v !== 'number' || !Number.isFinite(v)) return false;
      break;
    case BOOLEAN:
      if (typeof v !== 'boolean') return false;
      break;
  }
  if (c.values !== undefined && !c.values.has(v)) return false;
  if (v !== null && typeof v === 'object') {
    if (Array.isArray(v)) {
      if (v.length < c.minItems || v.length > c.maxItems) return false;
      const items = c.items;
      if (items !== undefined)
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (items.plainString ? typeof x !== 'string' : !accepts(items, x)) return false;
        }
    } else {
      const obj = v as Record<string, unknown>;
      if (c.required !== undefined)
        for (let i = 0; i < c.required.length; i++) if (obj[c.required[i]!] === undefined) return false;
      // Only the keys the object has are read: ajv checks a property when its value is not undefined,
      // which for a parsed document are exactly its own keys (no schema property is a prototype member).
      if (c.properties !== undefined || c.additional !== undefined) {
        for (const key in obj) {
          const sub = c.properties?.get(key);
          if (sub !== undefined) {
            const x = obj[key];
            if (x !== undefined && (sub.plainString ? typeof x !== 'string' : !accepts(sub, x))) return false;
          } else if (
            c.additional === false ||
            (c.additional !== undefined && !accepts(c.additional, obj[key]))
          )
            return false;
        }
      }
      if (c.minProperties > 0 || c.maxProperties !== Infinity) {
        const n = Object.keys(obj).length;
        if (n < c.minProperties || n > c.maxProperties) return false;
      }
    }
  } else if (typeof v === 'string') {
    if (v.length < c.minLength) return false; // code points never outnumber UTF-16 units
    if (c.maxLength !== Infinity && v.length > c.maxLength && codePoints(v) > c.maxLength) return false;
    if (c.minLength > 0 && codePoints(v) < c.minLength) return false;
    if (c.pattern !== undefined && !c.pattern.test(v)) return false;
  } else if (typeof v === 'number' && Number.isFinite(v)) {
    if (v < c.minimum || v > c.maximum) return false;
  }
  if (c.not !== undefined && accepts(c.not, v)) return false;
  if (c.anyOf !== undefined) {
    let any = false;
    for (let i = 0; i < c.anyOf.length && !any; i++) any = accepts(c.anyOf[i]!, v);
    if (!any) return false;
  }
  return true;
}

const checkers = new Map<SchemaKind, ((body: unknown) => boolean) | null>();

/**
 * The kind's quick acceptance check, or undefined when its schema uses a keyword the check does not
 * implement (ajv then validates every object of the kind).
 */
export function acceptanceCheck(entry: SchemaKind): ((body: unknown) => boolean) | undefined {
  let f = checkers.get(entry);
  if (f === undefined) {
    try {
      const root = new Reader().root(objectSchema(entry), `objects/${entry.schema}`);
      f = (body) => accepts(root, body);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      f = null;
    }
    checkers.set(entry, f);
  }
  return f ?? undefined;
}
