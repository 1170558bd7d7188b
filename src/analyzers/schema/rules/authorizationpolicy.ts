import type { Resource } from '../../../manifests/types.js';
import { at, ipOrCidrError, Issues } from './common.js';
import { isObject, list } from '../../../util/values.js';
import { checkTargeting, text } from './common-sec.js';
import type { SemanticIssue } from './types.js';

/**
 * AuthorizationPolicy rules (analyzers.md §9): targeting, CUSTOM/provider/DENY constraints, per-rule
 * source / operation / condition checks, and the DENY-with-only-HTTP-attributes warning.
 */

const SOURCE_LISTS = [
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'trustDomains',
  'notTrustDomains',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const;

const IP_LISTS: readonly string[] = ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'];

const SOURCE_FIELDS: ReadonlySet<string> = new Set(SOURCE_LISTS);
/** Source fields matched on HTTP requests only (the JWT's principal). */
const HTTP_SOURCE_LISTS: ReadonlySet<string> = new Set(['requestPrincipals', 'notRequestPrincipals']);
const SERVICE_ACCOUNT_LISTS = ['serviceAccounts', 'notServiceAccounts'];
const TRUST_DOMAIN_LISTS: ReadonlySet<string> = new Set(['trustDomains', 'notTrustDomains']);
const IP_FIELDS: ReadonlySet<string> = new Set(IP_LISTS);

/** Source fields CUSTOM policies cannot use (the external authorizer does not see the peer identity). */
const CUSTOM_FORBIDDEN_SOURCES = SOURCE_LISTS.filter((f) => !IP_LISTS.includes(f));

const CUSTOM_FORBIDDEN_KEYS = new Set([
  'source.namespace',
  'source.serviceAccount',
  'source.trustDomain',
  'source.principal',
]);

const OPERATION_LISTS: ReadonlySet<string> = new Set([
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
]);

/** Why a CUSTOM or DENY policy without rules is a mistake. */
const noRules = (action: string): string =>
  `a ${action} policy without \`rules\` matches no request, so it never takes effect; ` +
  'to apply it to every request, give it one empty rule (`rules: [{}]`)';

export function validateAuthorizationPolicy(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);

  const action = text(spec.action) || 'ALLOW';
  const hasRules = list(spec.rules).length > 0;
  if (action === 'CUSTOM') {
    if (!hasRules) issues.error('spec.action', noRules('CUSTOM'));
    if (!isObject(spec.provider) || text(spec.provider.name) === '')
      issues.error(
        'spec.provider.name',
        'a CUSTOM policy needs `provider.name`: the name of an extension provider defined in mesh config',
      );
  } else if (spec.provider !== null && spec.provider !== undefined) {
    issues.error(
      'spec.provider',
      `\`provider\` is only used with action CUSTOM, but the action is ${action}; remove it or set action: CUSTOM`,
    );
  }
  if (action === 'DENY' && !hasRules) issues.error('spec.action', noRules('DENY'));

  list(spec.rules).forEach((rule, i) => checkRule(issues, at('spec.rules', i), rule, action));
  return issues.list;
}

function checkRule(issues: Issues, path: string, rule: unknown, action: string): void {
  if (!isObject(rule)) {
    if (rule === null)
      issues.error(path, 'a rule cannot be null; write `{}` for a rule that matches every request');
    return;
  }
  let fromExists = false;
  let tcpInFrom = false;
  let toExists = false;
  let tcpInTo = false;
  /** Every `from` entry sets a TCP-level field (else, for TCP, one of them matches every peer). */
  let everyFromTcp = true;

  // `from: []` and `to: []` are accepted, as istiod reads an empty list as an absent one
  list(rule.from).forEach((from, j) => {
    const fromPath = at(path, 'from', j);
    if (!isObject(from)) {
      if (from === null) issues.error(fromPath, 'a `from` entry cannot be null; it needs a `source`');
      return;
    }
    if (!isObject(from.source)) {
      issues.error(at(fromPath, 'source'), 'this `from` entry has no `source`');
      return;
    }
    fromExists = true;
    if (checkSource(issues, at(fromPath, 'source'), from.source, action)) tcpInFrom = true;
    else everyFromTcp = false;
  });

  list(rule.to).forEach((to, j) => {
    const toPath = at(path, 'to', j);
    if (!isObject(to)) {
      if (to === null) issues.error(toPath, 'a `to` entry cannot be null; it needs an `operation`');
      return;
    }
    if (!isObject(to.operation)) {
      issues.error(at(toPath, 'operation'), 'this `to` entry has no `operation`');
      return;
    }
    toExists = true;
    if (Array.isArray(to.operation.ports) || Array.isArray(to.operation.notPorts)) tcpInTo = true;
    checkOperation(issues, at(toPath, 'operation'), to.operation);
  });

  list(rule.when).forEach((cond, j) => checkCondition(issues, at(path, 'when', j), cond, action));

  if (action === 'DENY' && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)))
    issues.warn(path, httpOnlyDenyMessage(rule, fromExists && everyFromTcp));
}

/**
 * The warning for a DENY rule whose HTTP attributes plain TCP traffic cannot be checked against. For TCP,
 * istiod drops those attributes from a DENY rule and keeps the rest (pilot/pkg/security/authz/model,
 * rule.checkError): the rule then denies every TCP connection, or only those its TCP-level `from` fields
 * and `when` conditions match, when it has any (`notPrincipals` of a `from`, a `source.ip` condition).
 */
function httpOnlyDenyMessage(rule: Record<string, any>, fromLimits: boolean): string {
  const limits: string[] = [];
  const fields = new Set<string>();
  if (fromLimits)
    for (const from of list(rule.from)) {
      const source: Record<string, unknown> = isObject(from) && isObject(from.source) ? from.source : {};
      for (const f of Object.keys(source))
        if (SOURCE_FIELDS.has(f) && !HTTP_SOURCE_LISTS.has(f) && list(source[f]).length > 0) fields.add(f);
    }
  if (fields.size > 0) limits.push(`\`from\` ${[...fields].join(', ')}`);
  const keys = list(rule.when)
    .map((c) => (isObject(c) ? text(c.key) : ''))
    .filter((k) => k !== '' && !k.startsWith('request.'));
  if (keys.length > 0) limits.push(`\`when\` ${[...new Set(keys)].join(', ')}`);
  const ports = 'Set `ports` in its operation to limit it to the HTTP ports';
  if (limits.length === 0)
    return (
      'this DENY rule matches on HTTP attributes only; plain TCP traffic cannot be checked against them, so the ' +
      `rule denies every TCP connection to the selected workloads. ${ports}`
    );
  return (
    'this DENY rule matches on HTTP attributes that plain TCP traffic cannot be checked against; for TCP they ' +
    'are ignored, so the rule denies every TCP connection to the selected workloads that its other ' +
    `conditions (${limits.join('; ')}) match. ${ports}`
  );
}

/**
 * Checks a `source`; true when it sets a field matched at the TCP level (a list other than
 * (not)requestPrincipals). Only the fields present are read: most sources set one or two of the fourteen.
 */
function checkSource(issues: Issues, path: string, source: Record<string, any>, action: string): boolean {
  let anySet = false;
  let tcp = false;
  for (const field of Object.keys(source)) {
    if (!SOURCE_FIELDS.has(field)) continue;
    const values = source[field];
    if (!Array.isArray(values)) continue;
    if (field !== 'requestPrincipals' && field !== 'notRequestPrincipals') tcp = true;
    if (values.length > 0) anySet = true;
    const ip = IP_FIELDS.has(field);
    const trustDomain = TRUST_DOMAIN_LISTS.has(field);
    for (let k = 0; k < values.length; k++) {
      const v: unknown = values[k];
      if (v === '') issues.error(at(path, field, k), `${field} must not contain empty strings`);
      else if (typeof v === 'string' && (ip || trustDomain)) {
        const problem = ip ? ipOrCidrError(v) : trustDomainError(v);
        if (problem) issues.error(at(path, field, k), ip ? problem : `${problem} (in ${field})`);
      }
    }
  }
  if (!anySet)
    issues.error(
      path,
      '`source` sets none of its fields; set at least one, e.g. principals, namespaces or ipBlocks',
    );
  for (const field of SERVICE_ACCOUNT_LISTS)
    if (Array.isArray(source[field])) checkServiceAccounts(issues, at(path, field), source[field], field);
  const withSA = SERVICE_ACCOUNT_LISTS.find((f) => list(source[f]).length > 0);
  const mixed = withSA
    ? ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].filter((f) => list(source[f]).length > 0)
    : [];
  if (withSA && mixed.length > 0)
    issues.error(
      at(path, withSA),
      `${withSA} cannot be set together with ${mixed.join(', ')}; use one way to identify the source workload`,
    );
  if (action === 'CUSTOM')
    for (const field of CUSTOM_FORBIDDEN_SOURCES)
      if (list(source[field]).length > 0)
        issues.error(
          at(path, field),
          `source.${field} cannot be used with action CUSTOM; a CUSTOM policy can match the source only by ` +
            'ipBlocks or remoteIpBlocks (or their not* forms)',
        );
  return tcp;
}

/** Checks an `operation`, reading only the fields present. */
function checkOperation(issues: Issues, path: string, op: Record<string, any>): void {
  let anySet = false;
  for (const field of Object.keys(op)) {
    if (!OPERATION_LISTS.has(field)) continue;
    const values = op[field];
    if (!Array.isArray(values) || values.length === 0) continue;
    anySet = true;
    const ports = field === 'ports' || field === 'notPorts';
    const paths = field === 'paths' || field === 'notPaths';
    for (let k = 0; k < values.length; k++) {
      const v: unknown = values[k];
      if (v === '') issues.error(at(path, field, k), `${field} must not contain empty strings`);
      if (ports) {
        const port = typeof v === 'number' ? String(v) : v;
        if (typeof port === 'string' && port !== '' && !isPortText(port))
          issues.error(at(path, field, k), badPort(port));
      } else if (paths && typeof v === 'string') {
        const problem = pathTemplateError(v);
        if (problem)
          issues.error(at(path, field, k), `${field} entry "${v}" is not a supported path: ${problem}`);
      }
    }
  }
  if (!anySet)
    issues.error(
      path,
      '`operation` sets none of its fields; set at least one of hosts, ports, methods or paths (or a not* form)',
    );
}

function checkCondition(issues: Issues, path: string, cond: unknown, action: string): void {
  if (!isObject(cond)) {
    if (cond === null)
      issues.error(path, 'a `when` condition cannot be null; it needs a `key` and `values` or `notValues`');
    return;
  }
  const key = text(cond.key);
  if (key === '') {
    issues.error(at(path, 'key'), 'this condition has no `key`');
    return;
  }
  if (action === 'CUSTOM' && (CUSTOM_FORBIDDEN_KEYS.has(key) || key.startsWith('request.auth.')))
    issues.error(at(path, 'key'), `condition key ${key} cannot be used with action CUSTOM`);
  const values = list(cond.values);
  const notValues = list(cond.notValues);
  if (values.length === 0 && notValues.length === 0) {
    issues.error(path, `the condition on ${key} needs \`values\`, \`notValues\` or both`);
    return;
  }
  const attr = attributeOf(key);
  if (typeof attr === 'object') {
    issues.error(at(path, 'key'), attr.error);
    return;
  }
  checkConditionValues(issues, path, key, attr, 'values', values);
  checkConditionValues(issues, path, key, attr, 'notValues', notValues);
}

function checkConditionValues(
  issues: Issues,
  path: string,
  key: string,
  attr: ValueKind,
  field: 'values' | 'notValues',
  items: unknown[],
): void {
  const where = `${field} of the condition on ${key}`;
  if (attr === 'serviceAccount') checkServiceAccounts(issues, at(path, field), items, where);
  items.forEach((v, k) => {
    if (typeof v !== 'string') return;
    const problem = v === '' ? 'an empty string is not allowed' : valueError(attr, v);
    if (problem) issues.error(at(path, field, k), `${where}: ${problem}`);
  });
}

type ValueKind = 'any' | 'ip' | 'port' | 'serviceAccount' | 'trustDomain';

/** The value rule for a condition key, or why the key is not accepted. */
function attributeOf(key: string): ValueKind | { error: string } {
  const mapKey = (): ValueKind | { error: string } =>
    mapKeyValid(key)
      ? 'any'
      : { error: `condition key "${key}" must have the form name[entry], e.g. request.headers[x-user]` };
  if (key.startsWith('request.headers')) return mapKey();
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return 'ip';
    case 'destination.port':
      return 'port';
    case 'source.serviceAccount':
      return 'serviceAccount';
    case 'source.trustDomain':
      return 'trustDomain';
    case 'source.namespace':
    case 'source.principal':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return 'any';
    case 'destination.namespace':
      return {
        error: `condition key ${key} is not supported: a policy only applies in its own namespace (metadata.namespace)`,
      };
    case 'destination.name':
    case 'destination.user':
      return { error: `condition key ${key} is no longer supported (it existed only in the v1alpha1 API)` };
  }
  if (key.startsWith('request.auth.claims')) return mapKey();
  if (key.startsWith('experimental.envoy.filters.')) return mapKey();
  if (key.startsWith('destination.labels'))
    return {
      error: `condition key ${key} is not supported: choose the workloads with spec.selector instead`,
    };
  return { error: `${key} is not a supported condition key` };
}

function valueError(kind: ValueKind, v: string): string | undefined {
  switch (kind) {
    case 'ip':
      return ipOrCidrError(v);
    case 'port':
      return isPortText(v) ? undefined : badPort(v);
    case 'trustDomain':
      return trustDomainError(v);
    default:
      return undefined;
  }
}

/** `name[inner]` with a non-empty name and inner part. */
function mapKeyValid(key: string): boolean {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2;
}

/** A port as AuthorizationPolicy writes it: decimal text, 0–65535. */
function isPortText(v: string): boolean {
  return /^\d+$/.test(v) && Number(v) <= 65535;
}

function badPort(v: string): string {
  return `port "${v}" is not a number from 0 to 65535`;
}

/** serviceAccounts: at most 16, each `sa` or `ns/sa`, no `*`, at most 320 characters. */
function checkServiceAccounts(issues: Issues, path: string, values: unknown, where: string): void {
  const items = list(values);
  if (items.length > 16)
    issues.error(path, `${where} lists ${items.length} service accounts; at most 16 are allowed`);
  items.forEach((v, k) => {
    const problem = typeof v === 'string' && v !== '' ? serviceAccountError(v) : undefined;
    if (problem) issues.error(at(path, k), `${problem} (in ${where})`);
  });
}

function serviceAccountError(v: string): string | undefined {
  const parts = v.split('/');
  const quoted = JSON.stringify(v);
  if (v.includes('*')) return `${quoted}: wildcards ('*') are not supported for service accounts`;
  if (parts.length > 2) return `${quoted} has more than one '/'; write "name" or "namespace/name"`;
  if (v.length > 320) return `service account is ${v.length} characters long; at most 320 are allowed`;
  if (parts.length === 2 && parts[0] === '') return `${quoted} has an empty namespace before '/'`;
  if (parts.length === 2 && parts[1] === '') return `${quoted} has an empty name after '/'`;
  return undefined;
}

/** Trust domains: at most one `*`, only as the first or last character, and no `/`. */
function trustDomainError(v: string): string | undefined {
  if (v.includes('/')) return `trust domain ${JSON.stringify(v)} must not contain '/'`;
  const stars = v.split('*').length - 1;
  if (stars > 1) return `trust domain ${JSON.stringify(v)} may contain at most one '*'`;
  if (stars === 1 && !v.startsWith('*') && !v.endsWith('*'))
    return `trust domain ${JSON.stringify(v)} may only use '*' at its start or end`;
  return undefined;
}

/** RFC 3986 pchar characters allowed in the literal segments of a path template. */
const PATH_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/**
 * Path templates: `{*}` matches one segment, `{**}` any number and must not be followed by another
 * template; other braces are not supported; with a template present, literal segments must be pchars.
 */
function pathTemplateError(path: string): string | undefined {
  const hasTemplate = path.includes('{*}') || path.includes('{**}');
  let seenAny = false;
  for (const segment of path.replace(/^\/+|\/+$/g, '').split('/')) {
    if (segment === '{*}' || segment === '{**}') {
      if (seenAny) return 'no {*} or {**} segment may follow {**}';
      if (segment === '{**}') seenAny = true;
      continue;
    }
    if (/[{}]/.test(segment)) return 'braces are only allowed as whole {*} or {**} segments';
    if (hasTemplate && !PATH_LITERAL.test(segment))
      return `segment "${segment}" has characters a templated path does not allow (letters, digits and -._~%!$&'()+,;:@= only)`;
  }
  return undefined;
}
