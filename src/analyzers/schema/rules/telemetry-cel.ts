/**
 * A syntax checker for CEL (Common Expression Language), used for Telemetry access-log filter
 * expressions. istioctl only *parses* these (no type checking: any identifier is accepted), so this checks
 * exactly the grammar:
 *
 *   expr     = or ['?' or ':' expr]
 *   or       = and {'||' and}          and = relation {'&&' relation}
 *   relation = add {('<'|'<='|'>'|'>='|'=='|'!='|'in') add}
 *   add      = mul {('+'|'-') mul}      mul = unary {('*'|'/'|'%') unary}
 *   unary    = member | '!'+ member | '-'+ member
 *   member   = primary {'.' IDENT ['(' [exprs] ')'] | '[' expr ']'}
 *   primary  = ['.'] IDENT ['(' [exprs] ')'] | ['.'] IDENT {'.' IDENT} '{' [fields] [','] '}'
 *            | '(' expr ')' | '[' [exprs] [','] ']' | '{' [entries] [','] '}' | literal
 *
 * Literals: ints (decimal / `0x` hex, signed 64-bit range), uints (`u` suffix, 64-bit range), doubles
 * (`1.5`, `.5`, `1e3`, finite), strings and bytes (`"…"`, `'…'`, triple-quoted, `r` raw and `b` bytes
 * prefixes, with CEL's escape sequences), `true`, `false`, `null`; `//` comments. Also enforced, as the
 * CEL parser does: reserved words (`as`, `break`, `const`, …) are not identifiers; `has()` needs a field
 * selection; the iteration variable of `all`/`exists`/`exists_one`/`map`/`filter` is a simple name; the
 * optional syntax `.?` / `[?` is not enabled; at most 100 000 code points. Nesting deeper than 250 levels
 * is refused (the CEL parser has a recursion limit of the same size).
 */
import { ownValue } from '../../../util/values.js';

const MAX_CODE_POINTS = 100_000;
const MAX_DEPTH = 250;

const RESERVED = new Set([
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);
const KEYWORDS = new Set(['true', 'false', 'null', 'in']);
const PUNCT2 = new Set(['==', '!=', '<=', '>=', '&&', '||']);
const PUNCT1 = new Set([...'?:!<>+-*/%.,()[]{}']);
const RELOPS = new Set(['<', '<=', '>', '>=', '==', '!=', 'in']);
/** Receiver-style macros and the argument counts that make a call one. */
const RECEIVER_MACROS: Record<string, number[]> = {
  all: [2],
  exists: [2],
  exists_one: [2],
  map: [2, 3],
  filter: [2],
};

type TokenKind = 'ident' | 'keyword' | 'punct' | 'int' | 'uint' | 'float' | 'string' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}
/** What the macro checks need to know about a parsed sub-expression. */
interface Node {
  kind: 'ident' | 'select' | 'other';
  pos: number;
}

class CelError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Returns undefined when `expr` is a syntactically valid CEL expression, else what is wrong and where. */
export function celSyntaxError(expr: string): string | undefined {
  const size = [...expr].length;
  if (size > MAX_CODE_POINTS)
    return `the expression is ${size} characters long; at most ${MAX_CODE_POINTS} are allowed`;
  try {
    const parser = new Parser(tokenize(expr));
    parser.parseExpr();
    const t = parser.peek();
    if (t.kind !== 'eof') throw new CelError(`unexpected ${describe(t)}`, t.pos);
    return undefined;
  } catch (err) {
    if (!(err instanceof CelError)) throw err;
    return `syntax error at ${where(expr, err.pos)}: ${err.message}`;
  }
}

function where(expr: string, pos: number): string {
  const before = expr.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return expr.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`;
}

const TOKEN_NAMES: Partial<Record<TokenKind, string>> = {
  ident: 'identifier ',
  int: 'int literal ',
  uint: 'uint literal ',
  float: 'double literal ',
  string: 'string literal ',
};

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of expression';
  const shown = t.text.length > 20 ? `${t.text.slice(0, 20)}…` : t.text;
  return `${TOKEN_NAMES[t.kind] ?? ''}'${shown}'`;
}

// ---------------------------------------------------------------------------------------------------------
// Lexer

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
      continue;
    }
    const quoted = /^([bB][rR]?|[rR])?("""|'''|"|')/.exec(src.slice(i, i + 5));
    if (quoted) {
      i = lexString(src, i, quoted[1] ?? '', quoted[2]!, tokens);
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      tokens.push({ kind: KEYWORDS.has(m[0]) ? 'keyword' : 'ident', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i = lexNumber(src, i, tokens);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.has(two)) {
      tokens.push({ kind: 'punct', text: two, pos: i });
      i += 2;
      continue;
    }
    if (PUNCT1.has(c)) {
      tokens.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    throw new CelError(`unexpected character ${JSON.stringify(c)}`, i);
  }
  tokens.push({ kind: 'eof', text: '', pos: src.length });
  return tokens;
}

function lexNumber(src: string, start: number, tokens: Token[]): number {
  const rest = src.slice(start);
  const hex = /^0[xX]([0-9a-fA-F]*)([uU]?)/.exec(rest);
  if (hex) {
    if (hex[1] === '') throw new CelError('invalid hexadecimal literal', start);
    tokens.push({ kind: hex[2] ? 'uint' : 'int', text: hex[0], pos: start });
    return start + hex[0].length;
  }
  const float = /^(?:[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)/.exec(rest);
  if (float) {
    tokens.push({ kind: 'float', text: float[0], pos: start });
    return start + float[0].length;
  }
  const int = /^[0-9]+([uU]?)/.exec(rest)!;
  tokens.push({ kind: int[1] ? 'uint' : 'int', text: int[0], pos: start });
  return start + int[0].length;
}

function lexString(src: string, start: number, prefix: string, quote: string, tokens: Token[]): number {
  const raw = /[rR]/.test(prefix);
  const bytes = /[bB]/.test(prefix);
  let i = start + prefix.length + quote.length;
  const triple = quote.length === 3;
  for (;;) {
    if (i >= src.length) throw new CelError('unterminated string literal', start);
    if (src.startsWith(quote, i)) break;
    const c = src[i]!;
    if (!triple && (c === '\n' || c === '\r')) throw new CelError('unterminated string literal', start);
    // Raw strings take backslashes literally; others must use CEL's escape sequences.
    if (c === '\\' && !raw) i = checkEscape(src, i, bytes);
    else i++;
  }
  tokens.push({ kind: 'string', text: src.slice(start, i + quote.length), pos: start });
  return i + quote.length;
}

/** Validates the escape sequence at `i` (a backslash) and returns the index after it. */
function checkEscape(src: string, i: number, bytes: boolean): number {
  const c = src[i + 1] ?? '';
  if ('abfnrtv\\?"\'`'.includes(c) && c !== '') return i + 2;
  const hexRun = (n: number) => /^[0-9a-fA-F]+$/.test(src.slice(i + 2, i + 2 + n)) && src.length >= i + 2 + n;
  if ((c === 'x' || c === 'X') && hexRun(2)) return i + 4;
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    if (!hexRun(n)) throw new CelError(`invalid \\${c} escape sequence`, i);
    if (bytes) throw new CelError('unicode escape sequences are not allowed in bytes literals', i);
    const cp = parseInt(src.slice(i + 2, i + 2 + n), 16);
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      throw new CelError('the escape does not name a Unicode character', i);
    return i + 2 + n;
  }
  if (/^[0-3][0-7][0-7]$/.test(src.slice(i + 1, i + 4))) return i + 4;
  throw new CelError(`invalid escape sequence ${JSON.stringify(src.slice(i, i + 2))}`, i);
}

// ---------------------------------------------------------------------------------------------------------
// Parser

const INT_MIN = -(2n ** 63n);
const INT_MAX = 2n ** 63n - 1n;
const UINT_MAX = 2n ** 64n - 1n;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private is(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return (t.kind === 'punct' || t.kind === 'keyword') && t.text === text;
  }
  private expect(text: string): Token {
    const t = this.peek();
    if (!this.is(text)) throw new CelError(`expected '${text}' but found ${describe(t)}`, t.pos);
    return this.next();
  }

  parseExpr(): Node {
    const start = this.peek();
    if (++this.depth > MAX_DEPTH)
      throw new CelError(`expression nests deeper than ${MAX_DEPTH} levels`, start.pos);
    let node = this.binary(0);
    if (this.is('?')) {
      this.next();
      this.binary(0);
      this.expect(':');
      this.parseExpr();
      node = { kind: 'other', pos: start.pos };
    }
    this.depth--;
    return node;
  }

  /** Binary operator levels, loosest first. */
  private static readonly LEVELS: Array<(p: Parser) => boolean> = [
    (p) => p.is('||'),
    (p) => p.is('&&'),
    (p) => {
      const t = p.peek();
      return (t.kind === 'punct' || t.kind === 'keyword') && RELOPS.has(t.text);
    },
    (p) => p.is('+') || p.is('-'),
    (p) => p.is('*') || p.is('/') || p.is('%'),
  ];

  private binary(level: number): Node {
    if (level === Parser.LEVELS.length) return this.unary();
    let node = this.binary(level + 1);
    while (Parser.LEVELS[level]!(this)) {
      this.next();
      this.binary(level + 1);
      node = { kind: 'other', pos: node.pos };
    }
    return node;
  }

  private unary(): Node {
    const start = this.peek();
    if (this.is('!') || (this.is('-') && !this.isNumberAt(1))) {
      const op = start.text;
      while (this.is(op) && !(op === '-' && this.isNumberAt(1))) this.next();
      this.member();
      return { kind: 'other', pos: start.pos };
    }
    return this.member();
  }

  private isNumberAt(offset: number): boolean {
    const k = this.peek(offset).kind;
    return k === 'int' || k === 'float';
  }

  private member(): Node {
    let node = this.primary();
    for (;;) {
      if (this.is('.')) {
        this.next();
        if (this.is('?'))
          throw new CelError("optional field selection '.?' is not accepted here", this.peek().pos);
        const name = this.peek();
        if (name.kind !== 'ident')
          throw new CelError(`expected a field name but found ${describe(name)}`, name.pos);
        this.next();
        if (this.is('(')) {
          const args = this.args(')');
          const counts = ownValue(RECEIVER_MACROS, name.text);
          if (counts?.includes(args.length) && args[0]!.kind !== 'ident')
            throw new CelError(`the first argument of ${name.text}() must be a variable name`, args[0]!.pos);
          node = { kind: 'other', pos: node.pos };
        } else {
          node = { kind: 'select', pos: node.pos };
        }
      } else if (this.is('[')) {
        this.next();
        if (this.is('?')) throw new CelError("optional index '[?' is not accepted here", this.peek().pos);
        this.parseExpr();
        this.expect(']');
        node = { kind: 'other', pos: node.pos };
      } else {
        return node;
      }
    }
  }

  /** Parses `( … )` style lists after the opening token: expressions separated by commas. */
  private args(close: string, trailingComma = false): Node[] {
    this.next(); // opening bracket
    const out: Node[] = [];
    if (this.is(close)) {
      this.next();
      return out;
    }
    for (;;) {
      out.push(this.parseExpr());
      if (this.is(',')) {
        this.next();
        if (trailingComma && this.is(close)) break;
        continue;
      }
      break;
    }
    this.expect(close);
    return out;
  }

  /** `{ entry, entry, }` where an entry is `key ':' expr`; `key` is read by `readKey`. */
  private entries(readKey: () => void): void {
    this.next(); // '{'
    while (!this.is('}')) {
      if (this.is('?'))
        throw new CelError("optional entries ('?key') are not accepted here", this.peek().pos);
      readKey();
      this.expect(':');
      this.parseExpr();
      if (!this.is(',')) break;
      this.next();
    }
    this.expect('}');
  }

  private primary(): Node {
    const t = this.peek();
    if (t.kind === 'ident' || this.is('.')) return this.identOrCall();
    if (this.is('(')) {
      this.next();
      const inner = this.parseExpr();
      this.expect(')');
      return inner;
    }
    if (this.is('[')) {
      this.args(']', true);
      return { kind: 'other', pos: t.pos };
    }
    if (this.is('{')) {
      this.entries(() => this.parseExpr());
      return { kind: 'other', pos: t.pos };
    }
    if (this.is('-') && this.isNumberAt(1)) {
      this.next();
      this.literal(this.next(), true);
      return { kind: 'other', pos: t.pos };
    }
    if (['int', 'uint', 'float', 'string'].includes(t.kind) || (t.kind === 'keyword' && t.text !== 'in')) {
      this.literal(this.next(), false);
      return { kind: 'other', pos: t.pos };
    }
    throw new CelError(`unexpected ${describe(t)}`, t.pos);
  }

  private identOrCall(): Node {
    const start = this.peek();
    const leadingDot = this.is('.');
    if (leadingDot) this.next();
    const name = this.peek();
    if (name.kind !== 'ident')
      throw new CelError(`expected an identifier but found ${describe(name)}`, name.pos);
    if (RESERVED.has(name.text))
      throw new CelError(`${name.text} is a reserved word and cannot be used as a name`, name.pos);
    this.next();
    if (this.is('(')) {
      const args = this.args(')');
      if (name.text === 'has' && !leadingDot && (args.length !== 1 || args[0]!.kind !== 'select'))
        throw new CelError(
          'has() takes exactly one field selection, e.g. has(request.headers)',
          args[0]?.pos ?? name.pos,
        );
      return { kind: 'other', pos: start.pos };
    }
    // Message construction: a qualified type name followed by `{ field: value, … }`.
    let k = 0;
    while (this.is('.', k) && this.peek(k + 1).kind === 'ident') k += 2;
    if (this.is('{', k)) {
      for (let n = 0; n < k; n++) this.next();
      this.entries(() => {
        const field = this.peek();
        if (field.kind !== 'ident')
          throw new CelError(`expected a field name but found ${describe(field)}`, field.pos);
        this.next();
      });
      return { kind: 'other', pos: start.pos };
    }
    return { kind: leadingDot ? 'other' : 'ident', pos: start.pos };
  }

  private literal(t: Token, negative: boolean): void {
    if (t.kind === 'int') {
      const v = BigInt(t.text) * (negative ? -1n : 1n);
      if (v < INT_MIN || v > INT_MAX) throw new CelError(`integer ${t.text} does not fit in 64 bits`, t.pos);
    } else if (t.kind === 'uint') {
      if (BigInt(t.text.slice(0, -1)) > UINT_MAX)
        throw new CelError(`unsigned integer ${t.text} does not fit in 64 bits`, t.pos);
    } else if (t.kind === 'float') {
      if (!Number.isFinite(Number(t.text)))
        throw new CelError(`number ${t.text} is too large for a double`, t.pos);
    }
  }
}
