import { jsonErrorOffset } from '../../../manifests/json-error.js';
import type { Resource } from '../../../manifests/types.js';
import { at, checkDuration, Issues } from './common.js';
import { isObject, list, ownValue } from '../../../util/values.js';
import { checkTargeting, HEADER_NAME, parseGoURL, text } from './common-sec.js';
import type { SemanticIssue } from './types.js';

/** RequestAuthentication rules (analyzers.md §9): targeting and each `jwtRules` entry. */
export function validateRequestAuthentication(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);
  list(spec.jwtRules).forEach((rule, i) => {
    if (isObject(rule)) checkJwtRule(issues, at('spec.jwtRules', i), rule);
  });
  return issues.list;
}

function checkJwtRule(issues: Issues, path: string, rule: Record<string, any>): void {
  const jwksUri = text(rule.jwksUri);
  if (text(rule.issuer) === '' && jwksUri === '')
    issues.error(at(path, 'issuer'), 'a JWT rule needs `issuer`, `jwksUri` or both');
  list(rule.audiences).forEach((a, k) => {
    if (a === '') issues.error(at(path, 'audiences', k), 'audiences must not contain empty strings');
  });
  if (jwksUri !== '') {
    const problem = jwksUriError(jwksUri);
    if (problem) issues.error(at(path, 'jwksUri'), problem);
  }
  if (typeof rule.jwks === 'string' && rule.jwks !== '') {
    const { error, privateKeys } = inspectJwks(rule.jwks);
    if (error) issues.error(at(path, 'jwks'), `jwks is not a usable key set: ${error}`);
    if (privateKeys.length > 0)
      issues.warn(
        at(path, 'jwks'),
        `jwks contains private key material (${privateKeys.join('; ')}); publish only public keys ` +
          'and treat the included private keys as compromised',
      );
  }
  list(rule.fromHeaders).forEach((h, k) => {
    const hPath = at(path, 'fromHeaders', k);
    if (!isObject(h)) {
      if (h === null) issues.error(hPath, 'a fromHeaders entry cannot be null; it needs the header `name`');
    } else if (text(h.name) === '') {
      issues.error(at(hPath, 'name'), 'a fromHeaders entry needs the header `name` that carries the token');
    }
  });
  list(rule.fromParams).forEach((p, k) => {
    if (p === '') issues.error(at(path, 'fromParams', k), 'fromParams must not contain empty strings');
  });
  list(rule.fromCookies).forEach((c, k) => {
    if (c === '') issues.error(at(path, 'fromCookies', k), 'fromCookies must not contain empty strings');
  });
  list(rule.outputClaimToHeaders).forEach((o, k) => {
    const oPath = at(path, 'outputClaimToHeaders', k);
    if (!isObject(o)) {
      if (o === null)
        issues.error(oPath, 'an outputClaimToHeaders entry cannot be null; it needs `claim` and `header`');
      return;
    }
    for (const field of ['claim', 'header'])
      if (text(o[field]) === '')
        issues.error(at(oPath, field), `an outputClaimToHeaders entry needs a non-empty \`${field}\``);
    const header = text(o.header);
    if (header !== '' && !HEADER_NAME.test(header))
      issues.error(
        at(oPath, 'header'),
        `"${header}" cannot be used as a header name: only letters, digits, '-' and '_' are allowed`,
      );
  });
  checkDuration(issues, at(path, 'timeout'), rule.timeout);
}

/** jwksUri must parse as an http(s) URL with a numeric port, if any. */
function jwksUriError(uri: string): string | undefined {
  const u = parseGoURL(uri);
  if ('error' in u) return `jwksUri is not a valid URL: ${u.error}`;
  if (u.scheme !== 'http' && u.scheme !== 'https')
    return `jwksUri must be an http:// or https:// URL; ${u.scheme === '' ? 'it has no scheme' : `its scheme is ${u.scheme}`}`;
  if (u.port !== '' && Number(u.port) > 65535) return `jwksUri port ${u.port} is above 65535`;
  return undefined;
}

const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const OKP_CURVES = new Set(['Ed25519', 'Ed448', 'X25519', 'X448']);
/** Members holding key material per key type: public members first, then private ones. */
const KEY_MEMBERS: Record<string, { required: string[]; private: string[] }> = {
  RSA: { required: ['n', 'e'], private: ['d', 'p', 'q', 'dp', 'dq', 'qi'] },
  EC: { required: ['x', 'y'], private: ['d'] },
  OKP: { required: ['x'], private: ['d'] },
  oct: { required: ['k'], private: [] },
};
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Reads an inline JWKS (a JWK set `{"keys": [...]}` or a single JWK) the way a JWK library does: valid
 * JSON, each key with a known `kty`, its required members present and base64-encoded, known curves. Also
 * lists keys that carry private members. Messages name keys and members only, never their values.
 */
export function inspectJwks(jwks: string): { error?: string; privateKeys: string[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(jwks);
  } catch {
    let offset: number | undefined;
    try {
      offset = jsonErrorOffset(jwks);
    } catch {
      offset = undefined;
    }
    return { error: `invalid JSON${offset === undefined ? '' : ` at offset ${offset}`}`, privateKeys: [] };
  }
  if (!isObject(doc)) return { error: 'expected a JSON object (a JWK set or a single JWK)', privateKeys: [] };
  const privateKeys: string[] = [];
  const keys: Array<[string, unknown]> = [];
  if ('keys' in doc) {
    if (!Array.isArray(doc.keys)) return { error: '"keys" must be an array', privateKeys };
    doc.keys.forEach((k, i) => keys.push([`keys[${i}]`, k]));
  } else {
    keys.push(['the key', doc]);
  }
  let error: string | undefined;
  for (const [label, key] of keys) {
    const problem = jwkProblem(key, label, privateKeys);
    if (problem && !error) error = problem;
  }
  return { error, privateKeys };
}

function jwkProblem(key: unknown, label: string, privateKeys: string[]): string | undefined {
  if (!isObject(key)) return `${label} is not a JSON object`;
  if (typeof key.kty !== 'string' || key.kty === '') return `${label} has no "kty"`;
  const members = ownValue(KEY_MEMBERS, key.kty);
  if (!members) return `${label} has unsupported key type ${JSON.stringify(key.kty)}`;
  const present = members.private.filter((m) => m in key);
  if (present.length > 0)
    privateKeys.push(`${label} has ${present.map((m) => JSON.stringify(m)).join(', ')}`);
  // a symmetric key is a shared secret: istiod warns about it as private key material
  else if (key.kty === 'oct') privateKeys.push(`${label} is a symmetric ("oct") key`);
  if (key.kty === 'EC' && !EC_CURVES.has(text(key.crv)))
    return `${label} has unsupported or missing EC curve ${JSON.stringify(text(key.crv))}`;
  if (key.kty === 'OKP' && !OKP_CURVES.has(text(key.crv)))
    return `${label} has unsupported or missing OKP curve ${JSON.stringify(text(key.crv))}`;
  for (const m of [...members.required, ...present]) {
    if (!(m in key)) return `${label} (${key.kty}) is missing "${m}"`;
    if (typeof key[m] !== 'string' || !BASE64.test(key[m]))
      return `${label} (${key.kty}) member "${m}" is not base64url-encoded`;
  }
  return undefined;
}
