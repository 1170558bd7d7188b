/**
 * The `yaml` library's text (`stringify` with `lineWidth: 0`, block style, indent 2, sequences indented) of
 * the elements of a report's long lists (findings, problems), written directly where that text is plain to
 * tell: an element that is a flat record of ASCII strings, integers and booleans, whose every string is one
 * of the common forms below. For those the library's output is known: a string is written plain unless
 * YAML would read it as something else or not at all, and then in single quotes when it holds a double quote
 * (and no single one), in double quotes when it holds neither. Anything else (a nested value, a non-ASCII
 * or control character, a backslash, a single quote, a string that starts like a number, an indicator or a
 * document marker) is left to the library, which costs ≈ 80 µs an element against ≈ 1 µs here.
 * `test/unit/render/yaml-flat.test.ts` compares both on generated strings of the characters that matter.
 */

/** Printable ASCII but the backslash and the single quote. */
const SIMPLE = /^[\x20-\x26\x28-\x5b\x5d-\x7e]+$/;
/**
 * Left to the library: a first character that makes a string a number, `.inf`, `~`, a `---` or `...` marker,
 * or an indicator whose meaning depends on what follows (`-`, `?`, `:`), or `<`/`=` (merge and value keys of
 * older YAML).
 */
const UNSURE = /^[0-9+\-.~?:<=]/;
/**
 * What the library always quotes: a first character that is an indicator, `: ` or ` #` inside, a space or a
 * colon at the end.
 */
const QUOTED = /^[ ,[\]{}#&*!|>'"%@`]|: | #|[ :]$/;
/** The core schema's other plain scalars among the words that start with a letter: null and booleans. */
const WORD = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
/** A key written as it is. */
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The library's text of a string value, or undefined when this writer leaves it to the library. */
export function flatScalar(s: string): string | undefined {
  if (!SIMPLE.test(s)) return undefined;
  if (UNSURE.test(s)) return undefined;
  if (!QUOTED.test(s) && !WORD.test(s)) return s;
  // quoted: a double quote inside makes the library take single quotes, which need no escape here
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

/** `    key: ` and, for an item's first key, `  - key: `, made once per key. */
const prefixes = new Map<string, readonly [string, string]>();

/**
 * Adds to `out` the pieces of the element's text as an item of a list under a top-level key (`  - key: value`
 * and `    key: value` lines, each ending in a newline) and returns true; returns false and leaves `out` as it
 * was when the element is not a flat record this writer knows the text of. (Pieces rather than one string
 * per item: the strings of the element and the lines' prefixes are shared, not copied, until the caller
 * joins many items at once.)
 */
export function flatItem(item: unknown, out: string[]): boolean {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return false;
  if (Object.getPrototypeOf(item) !== Object.prototype) return false;
  const start = out.length;
  for (const key in item) {
    const value = (item as Record<string, unknown>)[key];
    let shown: string | undefined;
    if (typeof value === 'string') shown = flatScalar(value);
    else if (typeof value === 'number')
      shown = Number.isSafeInteger(value) && !Object.is(value, -0) ? String(value) : undefined;
    else if (typeof value === 'boolean') shown = value ? 'true' : 'false';
    else if (value === undefined) continue;
    let prefix = prefixes.get(key);
    if (prefix === undefined && KEY.test(key) && !WORD.test(key)) {
      prefix = [`  - ${key}: `, `    ${key}: `];
      if (prefixes.size < 1024) prefixes.set(key, prefix);
    }
    if (shown === undefined || prefix === undefined) {
      out.length = start;
      return false;
    }
    out.push(prefix[out.length === start ? 0 : 1], shown, '\n');
  }
  return out.length > start;
}
