import type { Resource } from '../../../manifests/types.js';
import { at, ipOrCidrError, isObject, Issues, list } from './common.js';
import { checkTargeting, isEmptyList, text } from './common-sec.js';
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

/** Source fields that are matched at the TCP level (everything but request principals). */
const TCP_SOURCE_LISTS = SOURCE_LISTS.filter(
  (f) => f !== 'requestPrincipals' && f !== 'notRequestPrincipals',
);

/** Source fields CUSTOM policies cannot use (the external authorizer does not see the peer identity). */
const CUSTOM_FORBIDDEN_SOURCES = SOURCE_LISTS.filter((f) => !IP_LISTS.includes(f));

const CUSTOM_FORBIDDEN_KEYS = new Set([
  'source.namespace',
  'source.serviceAccount',
  'source.trustDomain',
  'source.principal',
]);

const OPERATION_LISTS = [
  'hosts',
  'notHosts',
  'ports',
  'notPorts',
  'methods',
  'notMethods',
  'paths',
  'notPaths',
];

const NEVER_TRIGGERED =
  'action without `rules` is meaningless as it will never be triggered, ' +
  'add an empty rule `{}` if you want it be triggered for every request';

export function validateAuthorizationPolicy(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);

  const action = text(spec.action) || 'ALLOW';
  const hasRules = list(spec.rules).length > 0;
  if (action === 'CUSTOM') {
    if (!hasRules) issues.error('spec.action', `CUSTOM ${NEVER_TRIGGERED}`);
    if (!isObject(spec.provider) || text(spec.provider.name) === '')
      issues.error('spec.provider.name', '`provider.name` must not be empty');
  } else if (spec.provider !== null && spec.provider !== undefined) {
    issues.error('spec.provider', `\`provider\` must not be set with non CUSTOM action, found ${action}`);
  }
  if (action === 'DENY' && !hasRules) issues.error('spec.action', `DENY ${NEVER_TRIGGERED}`);

  list(spec.rules).forEach((rule, i) => checkRule(issues, at('spec.rules', i), rule, action));
  return issues.list;
}

function checkRule(issues: Issues, path: string, rule: unknown, action: string): void {
  if (!isObject(rule)) {
    if (rule === null) issues.error(path, '`rule` must not be null');
    return;
  }
  let fromExists = false;
  let tcpInFrom = false;
  let toExists = false;
  let tcpInTo = false;

  if (isEmptyList(rule.from)) issues.error(at(path, 'from'), '`from` must not be empty');
  list(rule.from).forEach((from, j) => {
    const fromPath = at(path, 'from', j);
    if (!isObject(from)) {
      if (from === null) issues.error(fromPath, '`from` entries must not be null');
      return;
    }
    if (!isObject(from.source)) {
      issues.error(at(fromPath, 'source'), '`from.source` must not be nil');
      return;
    }
    fromExists = true;
    if (TCP_SOURCE_LISTS.some((f) => Array.isArray(from.source[f]))) tcpInFrom = true;
    checkSource(issues, at(fromPath, 'source'), from.source, action);
  });

  if (isEmptyList(rule.to)) issues.error(at(path, 'to'), '`to` must not be empty');
  list(rule.to).forEach((to, j) => {
    const toPath = at(path, 'to', j);
    if (!isObject(to)) {
      if (to === null) issues.error(toPath, '`to` entries must not be null');
      return;
    }
    if (!isObject(to.operation)) {
      issues.error(at(toPath, 'operation'), '`to.operation` must not be nil');
      return;
    }
    toExists = true;
    if (Array.isArray(to.operation.ports) || Array.isArray(to.operation.notPorts)) tcpInTo = true;
    checkOperation(issues, at(toPath, 'operation'), to.operation);
  });

  list(rule.when).forEach((cond, j) => checkCondition(issues, at(path, 'when', j), cond, action));

  if (action === 'DENY' && ((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)))
    issues.warn(
      path,
      'configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of ' +
        'only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port',
    );
}

function checkSource(issues: Issues, path: string, source: Record<string, any>, action: string): void {
  if (!SOURCE_LISTS.some((f) => list(source[f]).length > 0))
    issues.error(path, '`from.source` must not be empty');
  for (const field of SOURCE_LISTS) checkEmptyValues(issues, at(path, field), source[field], field);
  for (const field of IP_LISTS)
    list(source[field]).forEach((v, k) => {
      const problem = typeof v === 'string' && v !== '' ? ipOrCidrError(v) : undefined;
      if (problem) issues.error(at(path, field, k), problem);
    });
  for (const field of ['serviceAccounts', 'notServiceAccounts'])
    checkServiceAccounts(issues, at(path, field), source[field], field);
  for (const field of ['trustDomains', 'notTrustDomains'])
    list(source[field]).forEach((v, k) => {
      const problem = typeof v === 'string' && v !== '' ? trustDomainError(v) : undefined;
      if (problem) issues.error(at(path, field, k), `${problem}, found in ${field}`);
    });
  const withSA = ['serviceAccounts', 'notServiceAccounts'].find((f) => list(source[f]).length > 0);
  const mixed = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].filter(
    (f) => list(source[f]).length > 0,
  );
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
          `From.${capitalize(field)} is currently not supported with CUSTOM action`,
        );
}

function checkOperation(issues: Issues, path: string, op: Record<string, any>): void {
  if (!OPERATION_LISTS.some((f) => list(op[f]).length > 0))
    issues.error(path, '`to.operation` must not be empty');
  for (const field of OPERATION_LISTS) checkEmptyValues(issues, at(path, field), op[field], field);
  for (const field of ['ports', 'notPorts'])
    list(op[field]).forEach((v, k) => {
      const port = typeof v === 'number' ? String(v) : v;
      if (typeof port === 'string' && port !== '' && !isPortText(port))
        issues.error(at(path, field, k), `bad port (${port}): must be a number between 0 and 65535`);
    });
  for (const field of ['paths', 'notPaths'])
    list(op[field]).forEach((v, k) => {
      const problem = typeof v === 'string' ? pathTemplateError(v) : undefined;
      if (problem)
        issues.error(at(path, field, k), `invalid or unsupported path ${v}, found in ${field}: ${problem}`);
    });
}

function checkCondition(issues: Issues, path: string, cond: unknown, action: string): void {
  if (!isObject(cond)) {
    if (cond === null) issues.error(path, '`when` conditions must not be null');
    return;
  }
  const key = text(cond.key);
  if (key === '') {
    issues.error(at(path, 'key'), '`key` must not be empty');
    return;
  }
  if (action === 'CUSTOM' && (CUSTOM_FORBIDDEN_KEYS.has(key) || key.startsWith('request.auth.')))
    issues.error(at(path, 'key'), `${key} is currently not supported with CUSTOM action`);
  const values = list(cond.values);
  const notValues = list(cond.notValues);
  if (values.length === 0 && notValues.length === 0) {
    issues.error(path, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
    return;
  }
  const attr = attributeOf(key);
  if (typeof attr === 'object') {
    issues.error(at(path, 'key'), attr.error);
    return;
  }
  for (const [field, label, items] of [
    ['values', 'value', values],
    ['notValues', 'notValue', notValues],
  ] as const) {
    if (attr === 'serviceAccount')
      checkServiceAccounts(issues, at(path, field), items, `\`${label}\` for \`key\` ${key}`);
    items.forEach((v, k) => {
      if (typeof v !== 'string') return;
      const problem = v === '' ? 'empty value not allowed' : valueError(attr, v);
      if (problem) issues.error(at(path, field, k), `invalid \`${label}\` for \`key\` ${key}: ${problem}`);
    });
  }
}

type ValueKind = 'any' | 'ip' | 'port' | 'serviceAccount' | 'trustDomain';

/** The value rule for a condition key, or why the key is not accepted. */
function attributeOf(key: string): ValueKind | { error: string } {
  const mapKey = (): ValueKind | { error: string } =>
    mapKeyValid(key) ? 'any' : { error: `bad key (${key}): should have format a[b]` };
  if (key.startsWith('request.headers')) return mapKey();
  if (key.startsWith('request.experimental.inline.headers')) return mapKey();
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
      return { error: `attribute ${key} is replaced by the metadata.namespace` };
    case 'destination.name':
    case 'destination.user':
      return { error: `deprecated attribute ${key}: only supported in v1alpha1` };
  }
  if (key.startsWith('request.auth.claims')) return mapKey();
  if (key.startsWith('experimental.envoy.filters.')) return mapKey();
  if (key.startsWith('destination.labels'))
    return { error: `attribute ${key} is replaced by the workload selector` };
  return { error: `unknown attribute: ${key}` };
}

function valueError(kind: ValueKind, v: string): string | undefined {
  switch (kind) {
    case 'ip':
      return ipOrCidrError(v);
    case 'port':
      return isPortText(v) ? undefined : `bad port (${v}): must be a number between 0 and 65535`;
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

function checkEmptyValues(issues: Issues, path: string, values: unknown, field: string): void {
  list(values).forEach((v, k) => {
    if (v === '') issues.error(at(path, k), `empty value not allowed, found in ${field}`);
  });
}

/** serviceAccounts: at most 16, each `sa` or `ns/sa`, no `*`, at most 320 characters. */
function checkServiceAccounts(issues: Issues, path: string, values: unknown, field: string): void {
  const items = list(values);
  if (items.length > 16)
    issues.error(path, `may not have more than 16 values, found ${items.length} in ${field}`);
  const expected = "expected format 'serviceAccount' or 'namespace/serviceAccount'";
  items.forEach((v, k) => {
    if (typeof v !== 'string' || v === '') return;
    const parts = v.split('/');
    let problem: string | undefined;
    if (v.includes('*')) problem = 'wildcard not allowed';
    else if (parts.length > 2) problem = `${expected}, found ${JSON.stringify(v)}`;
    else if (v.length > 320) problem = 'value cannot exceed 320 characters';
    else if (parts.length === 2 && parts[0] === '')
      problem = `${expected}, found empty namespace ${JSON.stringify(v)}`;
    else if (parts.length === 2 && parts[1] === '')
      problem = `${expected}, found empty serviceAccount ${JSON.stringify(v)}`;
    if (problem) issues.error(at(path, k), `${problem}, found in ${field}`);
  });
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
      if (seenAny) return '{**} is not the last operator';
      if (segment === '{**}') seenAny = true;
      continue;
    }
    if (/[{}]/.test(segment)) return "contains '{' or '}' beyond a supported path template";
    if (hasTemplate && !PATH_LITERAL.test(segment))
      return `contains segment ${segment} with invalid string literal`;
  }
  return undefined;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
