/**
 * The `mesh authz test --cases` file: a YAML list of requests (or `{cases: [...]}`) with the decision
 * each should get. Every problem names the file and line of the case; unknown keys are errors, so a
 * typo cannot silently turn a test into one that passes.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { YAML_READ } from '../install/yaml-doc.js';
import type { AuthzRequest, Decision } from './evaluate.js';
import { withoutBom } from '../util/input.js';

export interface AuthzCase {
  name: string;
  /** 1-based line of the case in the file. */
  line: number;
  request: AuthzRequest;
  expect?: Decision;
}

export interface CasesProblem {
  file: string;
  line: number;
  message: string;
}

const CASE_KEYS = ['name', 'source', 'destination', 'request', 'expect'];
const SOURCE_KEYS = ['principal', 'namespace', 'ip', 'remoteIp'];
const DESTINATION_KEYS = ['namespace', 'labels', 'port', 'ip'];
const REQUEST_KEYS = ['protocol', 'method', 'path', 'host', 'headers', 'sni', 'auth'];
const AUTH_KEYS = ['principal', 'audiences', 'presenter', 'claims'];

type Raw = Record<string, unknown>;

const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

class CaseError extends Error {}

function section(parent: Raw, key: string, allowed: string[], where: string): Raw {
  const v = parent[key];
  if (v === undefined || v === null) return {};
  if (!isRaw(v)) throw new CaseError(`${where}${key} must be a mapping`);
  const unknown = Object.keys(v).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new CaseError(`${where}${key}: unknown key "${unknown[0]}" (allowed: ${allowed.join(', ')})`);
  return v;
}

function optString(o: Raw, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') throw new CaseError(`${where}${key} must be a string`);
  return String(v);
}

function stringMap(o: Raw, key: string, where: string): Record<string, string> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isRaw(v)) throw new CaseError(`${where}${key} must be a mapping of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'object' && x !== null) throw new CaseError(`${where}${key}.${k} must be a string`);
    out[k] = String(x ?? '');
  }
  return out;
}

function toCase(raw: unknown, index: number): { name: string; request: AuthzRequest; expect?: Decision } {
  if (!isRaw(raw)) throw new CaseError('a case must be a mapping');
  const unknown = Object.keys(raw).filter((k) => !CASE_KEYS.includes(k));
  if (unknown.length > 0)
    throw new CaseError(`unknown key "${unknown[0]}" (allowed: ${CASE_KEYS.join(', ')})`);
  const name = optString(raw, 'name', '') ?? `case ${index + 1}`;
  const src = section(raw, 'source', SOURCE_KEYS, '');
  const dst = section(raw, 'destination', DESTINATION_KEYS, '');
  const req = section(raw, 'request', REQUEST_KEYS, '');
  const auth = req.auth === undefined ? undefined : section(req, 'auth', AUTH_KEYS, 'request.');
  const namespace = optString(dst, 'namespace', 'destination.');
  if (!namespace) throw new CaseError('destination.namespace is required');
  let port: number | undefined;
  if (dst.port !== undefined) {
    port = Number(dst.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new CaseError(`destination.port "${String(dst.port)}" must be 1..65535`);
  }
  const protocol = (optString(req, 'protocol', 'request.') ?? 'http').toLowerCase();
  if (protocol !== 'http' && protocol !== 'tcp') throw new CaseError(`request.protocol must be http or tcp`);
  let expect: Decision | undefined;
  if (raw.expect !== undefined && raw.expect !== null) {
    const e = String(raw.expect).toUpperCase();
    if (e !== 'ALLOW' && e !== 'DENY' && e !== 'CUSTOM')
      throw new CaseError(`expect "${String(raw.expect)}" must be allow, deny or custom`);
    expect = e;
  }
  const audiences = auth?.audiences;
  const headers = Object.fromEntries(
    Object.entries(stringMap(req, 'headers', 'request.')).map(([k, v]) => [k.toLowerCase(), v]),
  );
  if (auth?.claims !== undefined && !isRaw(auth.claims))
    throw new CaseError('request.auth.claims must be a mapping');
  return {
    name,
    expect,
    request: {
      source: {
        principal: optString(src, 'principal', 'source.'),
        namespace: optString(src, 'namespace', 'source.'),
        ip: optString(src, 'ip', 'source.'),
        remoteIp: optString(src, 'remoteIp', 'source.'),
      },
      destination: {
        namespace,
        labels: stringMap(dst, 'labels', 'destination.'),
        port,
        ip: optString(dst, 'ip', 'destination.'),
      },
      protocol,
      method: optString(req, 'method', 'request.'),
      path: optString(req, 'path', 'request.'),
      host: optString(req, 'host', 'request.'),
      headers,
      sni: optString(req, 'sni', 'request.'),
      auth: auth && {
        principal: optString(auth, 'principal', 'request.auth.'),
        audiences:
          audiences === undefined
            ? undefined
            : Array.isArray(audiences)
              ? audiences.map(String)
              : [String(audiences)],
        presenter: optString(auth, 'presenter', 'request.auth.'),
        claims: auth.claims as Record<string, unknown> | undefined,
      },
    },
  };
}

/** Fields whose values are strings (header values, paths, principals, labels...); `*` = every entry of a mapping or list. */
const STRING_FIELDS = [
  ...SOURCE_KEYS.map((k) => ['source', k]),
  ['destination', 'namespace'],
  ['destination', 'ip'],
  ['destination', 'labels', '*'],
  ...['protocol', 'method', 'path', 'host', 'sni'].map((k) => ['request', k]),
  ['request', 'headers', '*'],
  ...['principal', 'presenter'].map((k) => ['request', 'auth', k]),
  ['request', 'auth', 'audiences'],
  ['request', 'auth', 'audiences', '*'],
];

/**
 * The first string field written as a YAML number or boolean (`x-api-version: 1.10` reads as 1.1, `007` as
 * 7): its line and the problem, so the case is refused rather than run with a rewritten value.
 */
function nonStringField(
  item: unknown,
  text: string,
  lineAt: (offset: number) => number,
): { line: number; message: string } | undefined {
  const walk = (node: unknown, path: string[], shown: string[]): { node: Node; shown: string[] }[] => {
    if (path.length === 0) return [{ node: node as Node, shown }];
    const [head, ...rest] = path as [string, ...string[]];
    if (head === '*') {
      if (isMap(node))
        return node.items.flatMap((pair) =>
          walk(pair.value, rest, [...shown, String(isScalar(pair.key) ? pair.key.value : pair.key)]),
        );
      if (isSeq(node)) return node.items.flatMap((x, i) => walk(x, rest, [...shown, String(i)]));
      return [];
    }
    return isMap(node) ? walk(node.get(head, true), rest, [...shown, head]) : [];
  };
  for (const path of STRING_FIELDS)
    for (const { node, shown } of walk(item, path, [])) {
      if (!isScalar(node) || node.value === null || typeof node.value === 'string') continue;
      const source = node.range ? text.slice(node.range[0], node.range[1]) : String(node.value);
      const kind = typeof node.value === 'boolean' ? 'boolean' : 'number';
      return {
        line: node.range ? lineAt(node.range[0]) : 1,
        message: `${shown.join('.')} must be a string: quote it ("${source}"); unquoted, YAML reads the ${kind} ${String(node.value)}`,
      };
    }
  return undefined;
}

/** Parses the cases file text; cases with problems are left out and reported. */
export function parseCases(text: string, file: string): { cases: AuthzCase[]; problems: CasesProblem[] } {
  const lines = new LineCounter();
  // the yaml parser misreads a list right after a byte order mark ("Unexpected scalar at node end")
  const source = withoutBom(text);
  const doc = parseDocument(source, { ...YAML_READ, lineCounter: lines, prettyErrors: false });
  const problems: CasesProblem[] = [];
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return {
      cases: [],
      problems: [{ file, line: lines.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! }],
    };
  }
  let list: Node | null | undefined = doc.contents;
  if (isMap(list) && list.has('cases')) {
    // a key beside cases (a typo such as casess) holds cases that would never run
    for (const pair of list.items)
      if (!isScalar(pair.key) || pair.key.value !== 'cases')
        problems.push({
          file,
          line: lineOf(pair.key as Node),
          message: `unknown key ${JSON.stringify(isScalar(pair.key) ? String(pair.key.value) : String(pair.key))}: the file holds cases: [...] only`,
        });
    list = list.get('cases', true) as Node | undefined;
  }
  if (!isSeq(list)) {
    return {
      cases: [],
      problems: [
        ...problems,
        { file, line: lineOf(doc.contents), message: 'expected a list of cases (or cases: [...])' },
      ],
    };
  }
  const cases: AuthzCase[] = [];
  list.items.forEach((item, i) => {
    const line = lineOf(item as Node);
    const label = () => {
      const name = isMap(item) ? item.get('name') : undefined;
      return `case ${name !== undefined ? `"${String(name)}"` : i + 1}`;
    };
    const typed = nonStringField(item, source, (o) => lines.linePos(o).line);
    if (typed) {
      problems.push({ file, line: typed.line, message: `${label()}: ${typed.message}` });
      return;
    }
    try {
      cases.push({ ...toCase((item as Node & { toJSON(): unknown }).toJSON(), i), line });
    } catch (err) {
      if (!(err instanceof CaseError)) throw err;
      problems.push({ file, line, message: `${label()}: ${err.message}` });
    }
  });
  if (cases.length === 0 && problems.length === 0)
    problems.push({ file, line: lineOf(list), message: 'no cases' });
  return { cases, problems };
}
