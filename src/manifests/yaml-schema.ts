import jsYaml from 'js-yaml';

/*
 * How Kubernetes and istioctl read YAML: Go's YAML 1.1 reader behind sigs.k8s.io/yaml, which kubectl uses
 * to turn a manifest into the JSON it sends. Checked against sigs.k8s.io/yaml v1.6.0's YAMLToJSON:
 * - plain `yes`, `no`, `on`, `off`, `y`, `n` (in their three cases) are booleans, as `true`/`false` are: a
 *   label `enabled: yes` is the boolean true, which the API server refuses for a label;
 * - numbers in YAML 1.1's forms: `017` is octal (15), `0o17` and `0b101` and `0x1F` too, underscores are
 *   left out (`1_000` is 1000), and what reads as a decimal after that is a number (`08` is 8);
 * - a number past float64's range (`1e400`) stays a string; `.inf` and `.nan` are infinity and NaN, which
 *   have no JSON form (json-form.ts);
 * - a date stays a string, and `~`/`null` are null, as in YAML 1.2's core schema;
 * - YAML 1.1's merge key, `<<: *defaults` or `<<: [*a, *b]`: the mapping receives the anchored mappings'
 *   keys unless it sets them itself.
 * Quoted scalars are always strings.
 */

const BOOLEANS = new Map<string, boolean>();
for (const w of ['y', 'yes', 'on', 'true']) for (const v of caseForms(w)) BOOLEANS.set(v, true);
for (const w of ['n', 'no', 'off', 'false']) for (const v of caseForms(w)) BOOLEANS.set(v, false);

/** `yes`, `Yes`, `YES` (one letter: `y`, `Y`). */
function caseForms(w: string): string[] {
  return [...new Set([w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()])];
}

/** Plain words that are not strings: the booleans and the nulls. */
export function isYamlWord(s: string): boolean {
  return BOOLEANS.has(s) || s === 'null' || s === 'Null' || s === 'NULL';
}

const INTEGER = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]?([0-7]+)|([1-9][0-9]*|0))$/;
const DECIMAL = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const DOT_DECIMAL = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const INFINITY = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN = /^\.(?:nan|NaN|NAN)$/;

/** A 64-bit integer's largest magnitude: `-` reaches 2^63, an unsigned one 2^64 - 1, `+` 2^63 - 1. */
const LIMIT = { '-': 2n ** 63n, '+': 2n ** 63n - 1n, '': 2n ** 64n - 1n } as const;

/** A number past float64's range (`1e400`) is no number to Go's reader: it keeps the text, a string. */
const finite = (n: number) => (Number.isFinite(n) ? n : undefined);

/** An integer in Go's forms (underscores already left out), or undefined. */
function integer(plain: string): number | undefined {
  const m = INTEGER.exec(plain);
  if (!m) return undefined;
  const sign = m[1] as '-' | '+' | '';
  // decimal: past 64 bits Go still reads it, as a float; past float64's range, as a string
  if (m[5] !== undefined) return finite(Number(plain));
  const digits = m[2] ?? m[3] ?? m[4]!;
  const radix = m[2] !== undefined ? 16 : m[3] !== undefined ? 2 : 8;
  const magnitude = [...digits].reduce((n, d) => n * BigInt(radix) + BigInt(parseInt(d, radix)), 0n);
  // past 64 bits, a prefixed integer is no number to Go: a string
  if (magnitude > LIMIT[sign]) return undefined;
  return sign === '-' ? -Number(magnitude) : Number(magnitude);
}

/** Underscores are left out where a scalar starts like a number (a digit or a sign). */
const plainNumber = (s: string) => s.replace(/_/g, '');
const startsLikeNumber = (s: string) => /^[-+0-9]/.test(s);

/** Go's number for a plain scalar that is one: an integer, a decimal, ±infinity, NaN; else undefined. */
function number(s: string): number | undefined {
  if (INFINITY.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (NAN.test(s)) return NaN;
  if (s.startsWith('.')) return DOT_DECIMAL.test(s) ? finite(Number(s)) : undefined;
  if (!startsLikeNumber(s)) return undefined;
  const plain = plainNumber(s);
  return integer(plain) ?? (DECIMAL.test(plain) ? finite(Number(plain)) : undefined);
}

const isNull = (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL';

/** What a plain (unquoted) scalar is to Go's reader: null, a boolean, a number, else the string itself. */
export function plainScalarValue(s: string): string | number | boolean | null {
  if (isNull(s)) return null;
  return BOOLEANS.get(s) ?? number(s) ?? s;
}

const bool = new jsYaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && BOOLEANS.has(s),
  construct: (s: string) => BOOLEANS.get(s),
  predicate: (v: unknown) => typeof v === 'boolean',
  represent: (v: object) => String(v),
});

const isInteger = (s: string) => startsLikeNumber(s) && integer(plainNumber(s)) !== undefined;
const int = new jsYaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && isInteger(s),
  construct: (s: string) => integer(plainNumber(s)),
  predicate: (v: unknown) => typeof v === 'number' && Number.isInteger(v),
  represent: (v: object) => String(v),
});

const float = new jsYaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && number(s) !== undefined,
  construct: (s: string) => number(s),
  predicate: (v: unknown) => typeof v === 'number',
  represent: (v: object) => String(v),
});

// js-yaml exports its types (`types.merge`); @types/js-yaml does not declare them.
const { merge } = (jsYaml as unknown as { types: { merge: jsYaml.Type } }).types;

/** The core schema with Go's YAML 1.1 booleans and numbers in place of YAML 1.2's, and the merge key. */
export const KUBE_YAML_SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [bool, int, float, merge] });
