/**
 * Finds the offset of the first JSON syntax error. Node 20's JSON.parse messages often carry no position,
 * so this small scanner walks the grammar (only on the error path) to point at the offending character.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++; // opening quote
    while (i < n && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= n) fail();
    i++;
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail();
    i += m![0].length;
  };
  const key = () => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  // the open objects and lists, innermost last: a loop rather than recursion, so a text nested a
  // hundred thousand levels deep is scanned to its error too
  const OBJECT = 1;
  const LIST = 2;
  const open: number[] = [];
  try {
    for (;;) {
      // a value starts here
      ws();
      const c = text[i];
      if (c === '{' || c === '[') {
        i++;
        ws();
        if (text[i] !== (c === '{' ? '}' : ']')) {
          open.push(c === '{' ? OBJECT : LIST);
          if (c === '{') key();
          continue;
        }
        i++;
      } else if (c === '"') string();
      else if (c === 't') literal('true');
      else if (c === 'f') literal('false');
      else if (c === 'n') literal('null');
      else number();
      // a value ended: a comma starts the next one in its container, a bracket closes it
      for (;;) {
        ws();
        const inner = open[open.length - 1];
        if (inner === undefined) {
          if (i < n) fail();
          return n;
        }
        if (text[i] === ',') {
          i++;
          if (inner === OBJECT) key();
          break;
        }
        if (text[i] !== (inner === OBJECT ? '}' : ']')) fail();
        i++;
        open.pop();
      }
    }
  } catch (pos) {
    return typeof pos === 'number' ? Math.min(pos, n) : 0;
  }
}

/**
 * Node's JSON.parse messages that name the kind of error and nothing of the text, and how mesh words
 * them. The other messages (`Unexpected token 'S', …"assword": SuperSecre"… is not valid JSON`) quote
 * the text around the error, which may be a secret and may hold a line break: they are never shown.
 */
const JSON_ERROR_KINDS: ReadonlyArray<[string, string]> = [
  ['Unexpected end of JSON input', 'unexpected end of input'],
  ['Unterminated string', 'unterminated string'],
  ['Bad control character in string literal', 'control character in a string (write it escaped, as \\n)'],
  ['Bad escaped character', 'invalid escape in a string'],
  ['Bad Unicode escape', 'invalid \\u escape in a string'],
  ["Expected property name or '}'", "expected a property name or '}'"],
  ['Expected double-quoted property name', 'expected a double-quoted property name'],
  ["Expected ':' after property name", "expected ':' after a property name"],
  ["Expected ',' or '}' after property value", "expected ',' or '}' after a property value"],
  ["Expected ',' or ']' after array element", "expected ',' or ']' after an array element"],
  ['Unexpected non-whitespace character after JSON', 'unexpected text after the JSON value'],
  ['No number after minus sign', 'malformed number'],
  ['Exponent part is missing a number', 'malformed number'],
  ['Unterminated fractional number', 'malformed number'],
  ['Unexpected number', 'unexpected number'],
  ['Unexpected string', 'unexpected string'],
];

/**
 * A JSON syntax error of `text` as its kind and offset only: the offset is Node's when its message gives
 * one, else the scanner's; the kind is Node's, reworded, when it is one of the known kinds, else
 * `unexpected character` (or `unexpected end of input` at the end of the text).
 */
export function jsonSyntaxError(text: string, nodeMessage: string): { offset: number; kind: string } {
  const position = / at position (\d+)/.exec(nodeMessage);
  const offset = position ? Number(position[1]) : jsonErrorOffset(text);
  const known = JSON_ERROR_KINDS.find(([prefix]) => nodeMessage.startsWith(prefix));
  const kind = known
    ? known[1]
    : text.slice(offset).trim() === ''
      ? 'unexpected end of input'
      : 'unexpected character';
  return { offset, kind };
}

/**
 * The offset and text of the first key of valid JSON `text` that repeats a key of the same object, or
 * undefined. Walks the text with one set of keys per open object; run only when the key count says a key
 * repeats.
 */
export function duplicateJsonKey(text: string): { offset: number; key: string } | undefined {
  const open: Array<Set<string> | undefined> = []; // a set per object, undefined per array
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      i = stringEnd(text, i);
      const keys = open.at(-1);
      if (keys === undefined || !isKeyEnd(text, i)) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (keys.has(key)) return { offset: start, key };
      keys.add(key);
    } else if (c === 123 /* { */) open.push(new Set());
    else if (c === 91 /* [ */) open.push(undefined);
    else if (c === 125 /* } */ || c === 93 /* ] */) open.pop();
  }
  return undefined;
}

/** The offset of the quote that closes the JSON string opened at `start` (the text's length if none). */
export function stringEnd(text: string, start: number): number {
  const n = text.length;
  let i = start + 1;
  for (; i < n; i++) {
    const d = text.charCodeAt(i);
    if (d === 92 /* \ */) i++;
    else if (d === 34) break;
  }
  return i;
}

/** True when the string that closes at `end` is an object key: a colon follows it, after white space. */
export function isKeyEnd(text: string, end: number): boolean {
  let j = end + 1;
  while (j < text.length && text.charCodeAt(j) <= 32) j++;
  return text.charCodeAt(j) === 58; /* : */
}
