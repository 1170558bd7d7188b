/**
 * The `mesh authz test --cases` file: a YAML list of requests (or `{cases: [...]}`) with the decision
 * each should get. Every problem names the file and line of the case; unknown keys are errors, so a
 * typo cannot silently turn a test into one that passes.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
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

/** Parses the cases file text; cases with problems are left out and reported. */
export function parseCases(text: string, file: string): { cases: AuthzCase[]; problems: CasesProblem[] } {
  const lines = new LineCounter();
  // the yaml parser misreads a list right after a byte order mark ("Unexpected scalar at node end")
  const doc = parseDocument(withoutBom(text), { ...YAML_READ, lineCounter: lines, prettyErrors: false });
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
  if (isMap(list)) list = list.get('cases', true) as Node | undefined;
  if (!isSeq(list)) {
    return {
      cases: [],
      problems: [{ file, line: lineOf(doc.contents), message: 'expected a list of cases (or cases: [...])' }],
    };
  }
  const cases: AuthzCase[] = [];
  list.items.forEach((item, i) => {
    const line = lineOf(item as Node);
    try {
      cases.push({ ...toCase((item as Node & { toJSON(): unknown }).toJSON(), i), line });
    } catch (err) {
      if (!(err instanceof CaseError)) throw err;
      const name = isMap(item) ? item.get('name') : undefined;
      problems.push({
        file,
        line,
        message: `case ${name !== undefined ? `"${String(name)}"` : i + 1}: ${err.message}`,
      });
    }
  });
  if (cases.length === 0 && problems.length === 0)
    problems.push({ file, line: lineOf(list), message: 'no cases' });
  return { cases, problems };
}
