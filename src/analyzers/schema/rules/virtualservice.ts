/**
 * VirtualService semantic rules (../shared/docs/reference/analyzers.md §9 "VirtualService"): hosts and
 * gateways, HTTP/TCP/TLS routes with their matches, actions and destinations, and the rule-reachability
 * analysis behind IST0130 (unreachable rule) and IST0131 (ineffective match).
 */
import type { Resource } from '../../../manifests/types.js';
import {
  at,
  checkDuration,
  checkExportTo,
  checkLabels,
  fqdnError,
  ipOrCidrError,
  isDnsLabel,
  isIstioLabel,
  isDnsSubdomain,
  isIp,
  isSet,
  Issues,
  portError,
  quote,
  re2Error,
  wildcardDomainError,
} from './common.js';
import { canonicalJson, isObject, keysOf, list, num, str } from '../../../util/values.js';
import { isHeaderName } from './common-net.js';
import type { SemanticIssue } from './types.js';

const MAX_REGEX_LENGTH = 1024;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const JWT_CLAIM_PREFIX = '@request.auth.claims';
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', '*'];
const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];
/** The status codes Go's http.StatusText names: istiod accepts these (and only these) as retryOn codes. */
const HTTP_STATUS_CODES = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307,
  308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
  422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

const RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);
const DIRECT_RESPONSE_MAX = 1024 * 1024;
const DIRECT_RESPONSE_WARN = 100 * 1024;

interface VsContext {
  issues: Issues;
  hosts: string[];
  /** No hosts: the VS is a delegate, attached to a root VS. */
  isDelegate: boolean;
  /** Bound to sidecars: no gateways, or `mesh` among them. */
  appliesToMesh: boolean;
  /** The VirtualService's `gateways`, as written. */
  gateways: unknown[];
}

export function validateVirtualService(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  const hosts = list(spec.hosts).filter((h): h is string => typeof h === 'string');
  const gateways = list(spec.gateways);
  const ctx: VsContext = {
    issues,
    hosts,
    isDelegate: list(spec.hosts).length === 0,
    appliesToMesh: gateways.length === 0 || gateways.includes('mesh'),
    gateways,
  };

  if (ctx.isDelegate) {
    for (const f of ['gateways', 'tcp', 'tls']) {
      if (isSet(spec[f])) {
        issues.error(
          `spec.${f}`,
          `a VirtualService without hosts is a delegate and cannot set ${f}; only http routes are delegated`,
        );
      }
    }
  }
  gateways.forEach((g, i) => checkGatewayName(issues, at('spec.gateways', i), g));
  checkExportTo(issues, 'spec.exportTo', spec.exportTo, resource.namespace, false);
  checkHosts(ctx, spec);

  const http = list(spec.http);
  const tcp = list(spec.tcp);
  const tls = list(spec.tls);
  if (http.length + tcp.length + tls.length === 0) {
    issues.error('spec', 'a VirtualService needs at least one http, tcp or tls route');
  }
  http.forEach((route, i) => checkHttpRoute(ctx, at('spec.http', i), route));
  tcp.forEach((route, i) => checkTcpRoute(ctx, at('spec.tcp', i), route));
  tls.forEach((route, i) => checkTlsRoute(ctx, at('spec.tls', i), route));

  analyzeReachability(issues, 'spec.http', http, true);
  analyzeReachability(issues, 'spec.tcp', tcp, false);
  analyzeReachability(issues, 'spec.tls', tls, false);
  return issues.list;
}

// ---------------------------------------------------------------------------------------------------
// Hosts and gateways
// ---------------------------------------------------------------------------------------------------

/** A gateway reference: `mesh`, `namespace/name`, or a bare (FQDN-shaped) name. */
function checkGatewayName(issues: Issues, path: string, gw: unknown): void {
  if (typeof gw !== 'string' || gw === '') {
    issues.error(path, 'gateway reference must be a non-empty string ("mesh", "namespace/name" or "name")');
    return;
  }
  if (gw === 'mesh') return;
  const parts = gw.split('/');
  if (parts.length === 2) {
    if (!isIstioLabel(parts[0]!) || !isIstioLabel(parts[1]!)) {
      issues.error(
        path,
        `gateway "${gw}" is invalid: namespace and name must both be DNS labels (letters, digits, '-')`,
      );
    }
    return;
  }
  if (parts.length > 2) {
    issues.error(path, `gateway "${gw}" is invalid: use "namespace/name"`);
    return;
  }
  const err = fqdnError(gw);
  if (err) issues.error(path, `gateway ${err}`);
  else if (gw.includes('.')) {
    const [name, ns] = gw.split('.', 2);
    issues.warn(
      path,
      `gateway "${gw}" uses the legacy name.namespace form, which is ambiguous; write "${ns}/${name}" instead`,
    );
  }
}

/** `outbound_.<port>_._.<host>`: the SNI Istio generates for mesh-internal TLS, routable at a gateway. */
const AUTO_SNI = /^outbound_\.\d+_\._\.(.+)$/;

function checkHosts(ctx: VsContext, spec: Record<string, any>): void {
  const { issues } = ctx;
  const hasSniMatch = list(spec.tls).some((r) =>
    list(isObject(r) ? r.match : undefined).some((m) => isObject(m) && isSet(m.sniHosts)),
  );
  const gatewayBound = list(spec.gateways).some((g) => g !== 'mesh');
  // duplicates are looked for only when every host is valid, as istiod does: a host that is refused
  // (`*` on a VirtualService for the mesh) is one mistake, not also an overlap with the others
  let allValid = true;
  list(spec.hosts).forEach((h, i) => {
    const p = at('spec.hosts', i);
    if (typeof h !== 'string') {
      issues.error(p, `host ${quote(h)} must be a string`);
      allValid = false;
      return;
    }
    if (h === '*' && ctx.appliesToMesh) {
      issues.error(
        p,
        'host "*" is not allowed for a VirtualService that applies to the mesh (no gateways, or "mesh" among them); list the hosts explicitly',
      );
      allValid = false;
    } else if (!isIp(h)) {
      const autoSni = gatewayBound && hasSniMatch ? AUTO_SNI.exec(h) : null;
      const err = wildcardDomainError(autoSni ? autoSni[1]! : h);
      if (err) {
        issues.error(p, err);
        allValid = false;
      }
    }
  });
  if (!allValid) return;
  const seen: Array<{ host: string; index: number }> = [];
  list(spec.hosts).forEach((h, i) => {
    const lower = (h as string).toLowerCase();
    const clash = seen.find(
      (s) => s.host === lower || hostCovers(s.host, lower) || hostCovers(lower, s.host),
    );
    if (clash) {
      issues.error(
        at('spec.hosts', i),
        clash.host === lower
          ? `duplicate host "${h}" (also hosts[${clash.index}])`
          : `host "${h}" overlaps with hosts[${clash.index}] "${clash.host}"; list each host once`,
      );
    } else seen.push({ host: lower, index: i });
  });
}

/** True when wildcard host `a` (`*`, `*.x.com`, `*x.com`) matches every name host `b` matches. */
function hostCovers(a: string, b: string): boolean {
  if (!a.startsWith('*') || a === b) return false;
  const suffix = a.slice(1);
  return b.startsWith('*') ? b.slice(1).endsWith(suffix) : b.endsWith(suffix) && b.length > suffix.length;
}

// ---------------------------------------------------------------------------------------------------
// Matches
// ---------------------------------------------------------------------------------------------------

function checkRegex(issues: Issues, path: string, re: unknown): void {
  if (typeof re !== 'string' || re === '') {
    issues.error(path, 'regex must be a non-empty RE2 expression');
    return;
  }
  if (re.length > MAX_REGEX_LENGTH) {
    issues.error(path, `regex is ${re.length} characters long; the limit is ${MAX_REGEX_LENGTH}`);
    return;
  }
  const err = re2Error(re);
  if (err) issues.error(path, `regex ${quote(re)} is not a valid RE2 expression: ${err}`);
}

/** A StringMatch: non-empty prefix (unless `allowEmptyPrefix`), valid regex. */
function checkStringMatch(issues: Issues, path: string, sm: unknown, allowEmptyPrefix = false): void {
  if (!isObject(sm)) return;
  if ('prefix' in sm && sm.prefix === '' && !allowEmptyPrefix) {
    issues.error(
      at(path, 'prefix'),
      'prefix match must not be empty; remove the matcher to match everything',
    );
  }
  if ('regex' in sm) checkRegex(issues, at(path, 'regex'), sm.regex);
}

function isJwtClaim(name: string): boolean {
  return name.startsWith(JWT_CLAIM_PREFIX);
}

/** `@request.auth.claims.name` or `@request.auth.claims[a][b]`. */
function jwtClaimError(name: string): string | undefined {
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  if (/^\.[^.[\]]+$/.test(rest) || /^(\[[^[\]]+\])+$/.test(rest)) return undefined;
  return `JWT claim match "${name}" is invalid: use ${JWT_CLAIM_PREFIX}.<claim> or ${JWT_CLAIM_PREFIX}[<claim>][<nested>]`;
}

function checkHeaderMatches(ctx: VsContext, path: string, headers: unknown, without: boolean): void {
  const { issues } = ctx;
  for (const name of keysOf(headers)) {
    const sm = (headers as Record<string, unknown>)[name];
    const p = at(path, name);
    if (isJwtClaim(name)) {
      const err = jwtClaimError(name);
      if (err) issues.error(p, err);
      else if (ctx.appliesToMesh) {
        // Istio's admission rule looks at the VirtualService's gateways only (a match's own gateways do
        // not exempt it), and so does the API server that applies it; istioctl's words
        issues.error(
          p,
          `JWT claim based routing (key: ${name}) is only supported for gateway, found no gateways: [${ctx.gateways.map(String).join(' ')}]`,
        );
      }
    } else if (!PSEUDO_HEADERS.has(name) && !isHeaderName(name)) {
      issues.error(p, `"${name}" is not a valid HTTP header name`);
    }
    if (sm === null || sm === undefined) {
      issues.error(p, `header matcher for "${name}" is empty (null); use {} to match presence`);
      continue;
    }
    if (without && isObject(sm) && sm.regex === '*') continue;
    checkStringMatch(issues, p, sm);
  }
}

/** Fields shared by HTTP, TCP and TLS matches. */
function checkL4Match(ctx: VsContext, path: string, m: Record<string, any>): void {
  const { issues } = ctx;
  if (isSet(m.port)) {
    const err = portError(m.port);
    if (err) issues.error(at(path, 'port'), err);
  }
  checkLabels(issues, at(path, 'sourceLabels'), m.sourceLabels);
  list(m.gateways).forEach((g, i) => checkGatewayName(issues, at(path, 'gateways', i), g));
  if (
    isSet(m.sourceNamespace) &&
    !(typeof m.sourceNamespace === 'string' && isIstioLabel(m.sourceNamespace))
  ) {
    issues.error(
      at(path, 'sourceNamespace'),
      `sourceNamespace ${quote(m.sourceNamespace)} is not a namespace name`,
    );
  }
}

function checkHttpMatch(ctx: VsContext, path: string, m: unknown): void {
  if (!isObject(m)) {
    ctx.issues.error(path, 'match entry must not be empty (null)');
    return;
  }
  // (paths are built only for matchers that are set)
  if (isObject(m.uri)) checkStringMatch(ctx.issues, at(path, 'uri'), m.uri, true);
  for (const f of ['scheme', 'method', 'authority'])
    if (isObject(m[f])) checkStringMatch(ctx.issues, at(path, f), m[f]);
  if (isObject(m.headers)) checkHeaderMatches(ctx, at(path, 'headers'), m.headers, false);
  if (isObject(m.withoutHeaders)) checkHeaderMatches(ctx, at(path, 'withoutHeaders'), m.withoutHeaders, true);
  for (const name of keysOf(m.queryParams))
    checkStringMatch(ctx.issues, at(path, 'queryParams', name), m.queryParams[name]);
  checkL4Match(ctx, path, m);
}

function checkSubnets(issues: Issues, path: string, subnets: unknown): void {
  list(subnets).forEach((s, i) => {
    const err = typeof s === 'string' ? ipOrCidrError(s) : `subnet ${quote(s)} must be a string`;
    if (err) issues.error(at(path, i), err);
  });
}

// ---------------------------------------------------------------------------------------------------
// Destinations
// ---------------------------------------------------------------------------------------------------

function checkDestination(issues: Issues, path: string, d: unknown): void {
  if (!isObject(d)) {
    issues.error(path, 'destination is required');
    return;
  }
  const host = d.host;
  if (typeof host !== 'string' || host === '') {
    issues.error(at(path, 'host'), 'destination host is required');
  } else if (host === '*') {
    issues.error(at(path, 'host'), 'destination host cannot be "*"; name a service');
  } else {
    const err = wildcardDomainError(host);
    if (err) issues.error(at(path, 'host'), err);
  }
  if (isSet(d.subset) && !(typeof d.subset === 'string' && isIstioLabel(d.subset))) {
    issues.error(
      at(path, 'subset'),
      `subset ${quote(d.subset)} is not a valid subset name (DNS label: letters, digits, '-')`,
    );
  }
  if (isObject(d.port)) {
    // a port selector without a number is port 0, which istiod rejects
    const err = portError(d.port.number ?? 0);
    if (err) issues.error(at(path, 'port', 'number'), err);
  }
}

/** Route destinations of any route type: destination, weight ≥0, not all weights 0. */
function checkRouteDestinations(ctx: VsContext, path: string, routes: any[], http: boolean): void {
  const { issues } = ctx;
  let positive = 0;
  routes.forEach((rd, i) => {
    const p = at(path, i);
    if (!isObject(rd)) {
      issues.error(p, 'route destination must not be empty (null)');
      return;
    }
    checkDestination(issues, at(p, 'destination'), rd.destination);
    const w = rd.weight;
    if (w !== undefined && w !== null) {
      const n = num(w);
      if (n === undefined || !Number.isInteger(n) || n < 0) {
        issues.error(at(p, 'weight'), `weight must be a non-negative integer, got ${quote(w)}`);
      } else if (n > 0) positive++;
    }
    if (http && isObject(rd.headers)) checkHeaderOperations(issues, at(p, 'headers'), rd.headers);
  });
  if (routes.length > 1 && positive === 0) {
    issues.error(
      path,
      `all ${routes.length} destinations have weight 0, so no traffic can be routed; give at least one a positive weight`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Header operations
// ---------------------------------------------------------------------------------------------------

/**
 * Why an Envoy header value is malformed (control characters, bad `%` substitutions), or undefined. The
 * `%…%` grammar is the one istiod checks (a port of Envoy's header parser): a variable name runs to the next
 * `%` or `(`; arguments are a JSON-like array of strings, or anything up to `)`; `%%` is a literal `%`.
 */
export function headerValueError(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      return `value contains control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
    }
  }
  type State = 'literal' | 'name' | 'array' | 'string' | 'in-string' | 'delimiter' | 'args-end' | 'end';
  let state: State = 'literal';
  let start = 0;
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos];
    const space = ch === ' ';
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (pos + 1 === value.length) {
          return `malformed "%" at position ${pos}: use %VARIABLE% or %VARIABLE(args)%, or %% for a literal %`;
        }
        if (value[pos + 1] === '%') pos++;
        else {
          state = 'name';
          start = pos;
        }
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'string';
        else if (!space) state = 'in-string';
        break;
      case 'string':
        if (ch === '"') state = 'in-string';
        else if (!space)
          return `arguments of the substitution at position ${start}: expected '"' at position ${pos}`;
        break;
      case 'in-string':
        if (ch === '\\') {
          if (pos + 1 === value.length) return `unterminated backslash escape at position ${pos}`;
          pos++;
        } else if (ch === ')') state = 'end';
        else if (ch === '"') state = 'delimiter';
        break;
      case 'delimiter':
        if (ch === ',') state = 'string';
        else if (ch === ']') state = 'args-end';
        else if (!space) {
          return `arguments of the substitution at position ${start}: expected ',' or ']' at position ${pos}`;
        }
        break;
      case 'args-end':
        if (ch === ')') state = 'end';
        else if (!space)
          return `arguments of the substitution at position ${start}: expected ')' at position ${pos}`;
        break;
      case 'end':
        if (ch === '%') state = 'literal';
        else if (!space) return `substitution at position ${start}: expected '%' at position ${pos}`;
        break;
    }
  }
  if (state !== 'literal') {
    return `unterminated substitution at position ${start}: close it with '%' (or write %% for a literal %)`;
  }
  return undefined;
}

function checkHeaderValue(issues: Issues, path: string, value: unknown): void {
  if (typeof value !== 'string') return;
  const err = headerValueError(value);
  if (err) issues.error(path, `header value ${quote(value)} is invalid: ${err}`);
}

function isAuthorityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === ':authority' || n === 'host';
}

/** Counts the header operations in `headers.request` that rewrite the authority. */
function authorityRewrites(headers: unknown): number {
  const req = isObject(headers) && isObject(headers.request) ? headers.request : {};
  return keysOf(req.set).filter(isAuthorityHeader).length + keysOf(req.add).filter(isAuthorityHeader).length;
}

function checkHeaderOperations(issues: Issues, path: string, headers: unknown): void {
  if (!isObject(headers)) return;
  for (const dir of ['request', 'response'] as const) {
    const ops = headers[dir];
    if (!isObject(ops)) continue;
    const dp = at(path, dir);
    for (const op of ['set', 'add'] as const) {
      for (const name of keysOf(ops[op])) {
        const value = ops[op][name];
        const p = at(dp, op, name);
        if (name === '') issues.error(at(dp, op), `header name in ${dir}.${op} must not be empty`);
        else if (dir === 'request' && name.startsWith(':') && name.toLowerCase() !== ':authority') {
          issues.error(p, `cannot ${op} pseudo-header "${name}" (only :authority may be rewritten)`);
        } else if (dir === 'response' && (name.startsWith(':') || name.toLowerCase() === 'host')) {
          issues.error(p, `cannot ${op} response header "${name}"`);
        } else if (!name.startsWith(':') && !isHeaderName(name)) {
          issues.error(p, `"${name}" is not a valid HTTP header name`);
        }
        checkHeaderValue(issues, p, value);
      }
    }
    list(ops.remove).forEach((name, i) => {
      const p = at(dp, 'remove', i);
      if (typeof name !== 'string' || name === '') issues.error(p, 'header name to remove must not be empty');
      else if (name.startsWith(':') || name.toLowerCase() === 'host') {
        issues.error(p, `cannot remove header "${name}"`);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP routes
// ---------------------------------------------------------------------------------------------------

function checkHttpRoute(ctx: VsContext, path: string, route: unknown): void {
  const { issues } = ctx;
  if (!isObject(route)) {
    issues.error(path, 'http route must not be empty (null)');
    return;
  }
  const hasRoute = list(route.route).length > 0;
  const has = (f: string) => route[f] !== undefined && route[f] !== null;

  if (has('delegate')) {
    if (ctx.isDelegate) {
      issues.error(at(path, 'delegate'), 'a delegate VirtualService (no hosts) cannot delegate again');
    }
    if (hasRoute || has('redirect')) {
      issues.error(at(path, 'delegate'), 'a route with delegate cannot also set route or redirect');
    }
    checkDelegate(issues, at(path, 'delegate'), route.delegate);
  } else if (!hasRoute && !has('redirect') && !has('directResponse')) {
    issues.error(path, 'http route needs one of route, redirect, directResponse or delegate');
  }
  if (has('redirect')) {
    for (const f of ['route', 'fault', 'rewrite', 'directResponse']) {
      if (f === 'route' ? hasRoute : has(f))
        issues.error(at(path, 'redirect'), `redirect cannot be combined with ${f}`);
    }
  }
  if (has('directResponse')) {
    for (const f of ['route', 'fault', 'rewrite']) {
      if (f === 'route' ? hasRoute : has(f)) {
        issues.error(at(path, 'directResponse'), `directResponse cannot be combined with ${f}`);
      }
    }
  }
  if (has('mirror') && isSet(route.mirrors)) {
    issues.error(at(path, 'mirrors'), 'mirror and mirrors are mutually exclusive; use mirrors');
  }

  const matches = list(route.match);
  matches.forEach((m, i) => checkHttpMatch(ctx, at(path, 'match', i), m));
  checkRouteDestinations(ctx, at(path, 'route'), list(route.route), true);
  if (isObject(route.headers)) checkHeaderOperations(issues, at(path, 'headers'), route.headers);
  const rewriteAuthority = isObject(route.rewrite) && isSet(route.rewrite.authority) ? 1 : 0;
  if (rewriteAuthority + authorityRewrites(route.headers) > 1) {
    issues.error(
      at(path, 'headers', 'request'),
      'the authority (:authority/host) is rewritten more than once; use either rewrite.authority or one header operation',
    );
  }
  list(route.route).forEach((rd, i) => {
    if (
      isObject(rd) &&
      authorityRewrites(rd.headers) > 0 &&
      rewriteAuthority + authorityRewrites(route.headers) > 0
    ) {
      issues.error(
        at(path, 'route', i, 'headers', 'request'),
        'the authority is already rewritten at the route level; it can be rewritten only once',
      );
    }
  });

  if (has('corsPolicy')) checkCors(issues, at(path, 'corsPolicy'), route.corsPolicy);
  if (has('fault')) checkFault(issues, at(path, 'fault'), route.fault);
  checkMirrors(issues, path, route);
  if (has('redirect')) checkRedirect(issues, at(path, 'redirect'), route.redirect, matches);
  if (has('directResponse')) checkDirectResponse(issues, at(path, 'directResponse'), route.directResponse);
  if (has('retries')) checkRetries(issues, at(path, 'retries'), route.retries);
  if (has('rewrite')) checkRewrite(issues, at(path, 'rewrite'), route.rewrite);
  if (has('timeout')) checkDuration(issues, at(path, 'timeout'), route.timeout);
}

function checkDelegate(issues: Issues, path: string, d: unknown): void {
  if (!isObject(d)) return;
  if (!(typeof d.name === 'string' && isDnsSubdomain(d.name))) {
    issues.error(at(path, 'name'), `delegate name ${quote(d.name)} must be the name of a VirtualService`);
  }
  if (isSet(d.namespace) && !(typeof d.namespace === 'string' && isDnsLabel(d.namespace))) {
    issues.error(at(path, 'namespace'), `delegate namespace ${quote(d.namespace)} is not a namespace name`);
  }
}

function checkCors(issues: Issues, path: string, cors: unknown): void {
  if (!isObject(cors)) return;
  list(cors.allowOrigins).forEach((o, i) => {
    const p = at(path, 'allowOrigins', i);
    const set = isObject(o)
      ? ['exact', 'prefix', 'regex'].filter((k) => typeof o[k] === 'string' && o[k] !== '')
      : [];
    if (set.length === 0) issues.error(p, 'allowOrigins entry needs a non-empty exact, prefix or regex');
    else if (set[0] === 'regex') checkRegex(issues, at(p, 'regex'), (o as Record<string, any>).regex);
  });
  list(cors.allowMethods).forEach((m, i) => {
    if (!CORS_METHODS.includes(String(m))) {
      issues.error(
        at(path, 'allowMethods', i),
        `${quote(m)} is not an HTTP method; use ${CORS_METHODS.join(', ')}`,
      );
    }
  });
  for (const f of ['allowHeaders', 'exposeHeaders']) {
    list(cors[f]).forEach((h, i) => {
      if (!(typeof h === 'string' && (h === '*' || isHeaderName(h)))) {
        issues.error(at(path, f, i), `${quote(h)} is not a valid HTTP header name (or "*")`);
      }
    });
  }
  checkDuration(issues, at(path, 'maxAge'), cors.maxAge, { wholeSeconds: true });
}

function checkPercentage(issues: Issues, path: string, pct: unknown, fault: boolean): void {
  if (!isObject(pct) || pct.value === undefined || pct.value === null) return;
  const v = num(pct.value);
  const p = at(path, 'value');
  if (v === undefined || v < 0 || v > 100) {
    issues.error(p, `percentage ${quote(pct.value)} must be between 0 and 100`);
  } else if (fault && v > 0 && v < 0.0001) {
    issues.error(p, `percentage ${v} is too small: the smallest supported fault percentage is 0.0001`);
  }
}

function checkFault(issues: Issues, path: string, fault: unknown): void {
  if (!isObject(fault)) return;
  if (!isObject(fault.abort) && !isObject(fault.delay)) {
    issues.error(path, 'fault needs abort and/or delay');
    return;
  }
  if (isObject(fault.abort)) {
    const a = fault.abort;
    const ap = at(path, 'abort');
    checkPercentage(issues, at(ap, 'percentage'), a.percentage, true);
    if (isSet(a.http2Error)) {
      issues.error(
        at(ap, 'http2Error'),
        'http2Error fault injection is not supported; use httpStatus or grpcStatus',
      );
    } else if (isSet(a.grpcStatus)) {
      if (!GRPC_CODES.includes(String(a.grpcStatus))) {
        issues.error(
          at(ap, 'grpcStatus'),
          `grpcStatus ${quote(a.grpcStatus)} is not a gRPC status code name (e.g. UNAVAILABLE)`,
        );
      }
    } else if (isSet(a.httpStatus)) {
      const s = num(a.httpStatus);
      if (s === undefined || !Number.isInteger(s) || s < 200 || s > 600) {
        issues.error(
          at(ap, 'httpStatus'),
          `httpStatus ${quote(a.httpStatus)} must be an HTTP status from 200 to 600`,
        );
      }
    }
    // Without an error type istiod's validation makes a warning that it then drops (appendErrors keeps
    // only errors), so istioctl reports nothing, and neither does mesh.
  }
  if (isObject(fault.delay)) {
    const d = fault.delay;
    const dp = at(path, 'delay');
    checkPercentage(issues, at(dp, 'percentage'), d.percentage, true);
    // the deprecated integer `percent` istiod does not check (IST0002 reports it as deprecated), and a
    // delay without fixedDelay it accepts
    if (isSet(d.exponentialDelay)) {
      issues.error(at(dp, 'exponentialDelay'), 'exponentialDelay is not supported; use fixedDelay');
    } else if (d.fixedDelay !== undefined && d.fixedDelay !== null) {
      checkDuration(issues, at(dp, 'fixedDelay'), d.fixedDelay);
    }
  }
}

function checkMirrors(issues: Issues, path: string, route: Record<string, any>): void {
  if (route.mirrorPercent !== undefined && route.mirrorPercent !== null) {
    issues.warn(at(path, 'mirrorPercent'), 'mirrorPercent is deprecated; use mirrorPercentage');
    const v = num(route.mirrorPercent);
    if (v === undefined || v < 0 || v > 100) {
      issues.error(at(path, 'mirrorPercent'), `mirrorPercent ${quote(route.mirrorPercent)} must be 0-100`);
    }
  }
  checkPercentage(issues, at(path, 'mirrorPercentage'), route.mirrorPercentage, false);
  if (route.mirror !== undefined && route.mirror !== null)
    checkDestination(issues, at(path, 'mirror'), route.mirror);
  list(route.mirrors).forEach((m, i) => {
    const p = at(path, 'mirrors', i);
    if (!isObject(m) || !isObject(m.destination)) {
      issues.error(p, 'mirrors entry needs a destination');
      return;
    }
    checkDestination(issues, at(p, 'destination'), m.destination);
    checkPercentage(issues, at(p, 'percentage'), m.percentage, false);
  });
}

function checkRedirect(issues: Issues, path: string, r: unknown, matches: any[]): void {
  if (!isObject(r)) return;
  if (isSet(r.uri) && isSet(r.prefixRewrite)) {
    issues.error(path, 'redirect cannot set both uri and prefixRewrite');
  }
  if (
    isSet(r.prefixRewrite) &&
    !(matches.length > 0 && matches.every((m) => isObject(m) && isObject(m.uri) && 'prefix' in m.uri))
  ) {
    issues.error(
      at(path, 'prefixRewrite'),
      'prefixRewrite needs every match of the route to be a uri prefix match',
    );
  }
  if (!['uri', 'prefixRewrite', 'authority', 'port', 'derivePort', 'scheme'].some((f) => isSet(r[f]))) {
    issues.error(path, 'redirect must set at least one of uri, prefixRewrite, authority, port or scheme');
  }
  if (isSet(r.redirectCode)) {
    const c = num(r.redirectCode);
    if (c === undefined || !Number.isInteger(c) || c < 300 || c > 399) {
      issues.error(at(path, 'redirectCode'), `redirectCode ${quote(r.redirectCode)} must be a 3xx status`);
    }
  }
  if (isSet(r.scheme) && r.scheme !== 'http' && r.scheme !== 'https') {
    issues.error(
      at(path, 'scheme'),
      `redirect scheme ${quote(r.scheme)} is not supported; use http or https`,
    );
  }
  if (isSet(r.port)) {
    const err = portError(r.port);
    if (err) issues.error(at(path, 'port'), err);
  }
}

function checkDirectResponse(issues: Issues, path: string, d: unknown): void {
  if (!isObject(d)) return;
  const s = num(d.status);
  if (s === undefined || !Number.isInteger(s) || s < 200 || s > 600) {
    issues.error(
      at(path, 'status'),
      `directResponse status ${quote(d.status)} must be an HTTP status from 200 to 600`,
    );
  }
  if (!isObject(d.body)) return;
  const size =
    typeof d.body.string === 'string'
      ? Buffer.byteLength(d.body.string)
      : typeof d.body.bytes === 'string'
        ? Buffer.from(d.body.bytes, 'base64').length
        : 0;
  if (size > DIRECT_RESPONSE_MAX) {
    issues.error(at(path, 'body'), `directResponse body is ${size} bytes; the limit is 1MB`);
  } else if (size > DIRECT_RESPONSE_WARN) {
    issues.warn(
      at(path, 'body'),
      `directResponse body is ${size} bytes; bodies over 100KB bloat the proxy configuration`,
    );
  }
}

function checkRetries(issues: Issues, path: string, r: unknown): void {
  if (!isObject(r)) return;
  const attempts = r.attempts === undefined || r.attempts === null ? 0 : num(r.attempts);
  if (attempts === undefined || !Number.isInteger(attempts) || attempts < 0) {
    issues.error(at(path, 'attempts'), `attempts must be a non-negative integer, got ${quote(r.attempts)}`);
  } else if (attempts === 0) {
    const set = ['perTryTimeout', 'retryOn', 'retryRemoteLocalities'].filter(
      (f) => r[f] !== undefined && r[f] !== null && r[f] !== '',
    );
    if (set.length > 0) {
      issues.error(path, `retries sets ${set.join(', ')} but attempts is 0, which disables retries`);
    }
  }
  checkDuration(issues, at(path, 'perTryTimeout'), r.perTryTimeout);
  checkDuration(issues, at(path, 'backoff'), r.backoff);
  if (typeof r.retryOn === 'string' && r.retryOn !== '') {
    // istiod splits on ',' without trimming, and reads a number as Go's strconv.Atoi does
    for (const item of r.retryOn.split(',')) {
      const code = /^[+-]?\d+$/.test(item) ? Number(item) : NaN;
      if (!RETRY_ON.has(item) && !HTTP_STATUS_CODES.has(code)) {
        issues.error(
          at(path, 'retryOn'),
          `retryOn ${JSON.stringify(item)} is not a retry condition or a known HTTP status code (e.g. 5xx, gateway-error, connect-failure, 503)${item.trim() !== item ? '; remove the spaces around it' : ''}`,
        );
      }
    }
  }
}

function checkRewrite(issues: Issues, path: string, r: unknown): void {
  if (!isObject(r)) return;
  const hasRegex = r.uriRegexRewrite !== undefined && r.uriRegexRewrite !== null;
  if (isSet(r.uri) && hasRegex) issues.error(path, 'rewrite cannot set both uri and uriRegexRewrite');
  if (!isSet(r.uri) && !hasRegex && !isSet(r.authority)) {
    issues.error(path, 'rewrite must set uri, uriRegexRewrite or authority');
  }
  if (hasRegex) {
    const rr = r.uriRegexRewrite;
    const p = at(path, 'uriRegexRewrite');
    if (!isObject(rr) || !isSet(rr.match) || typeof rr.rewrite !== 'string') {
      issues.error(p, 'uriRegexRewrite needs both match and rewrite');
    } else checkRegex(issues, at(p, 'match'), rr.match);
  }
}

// ---------------------------------------------------------------------------------------------------
// TCP and TLS routes
// ---------------------------------------------------------------------------------------------------

function checkTcpRoute(ctx: VsContext, path: string, route: unknown): void {
  if (!isObject(route)) {
    ctx.issues.error(path, 'tcp route must not be empty (null)');
    return;
  }
  list(route.match).forEach((m, i) => {
    const p = at(path, 'match', i);
    if (!isObject(m)) {
      ctx.issues.error(p, 'match entry must not be empty (null)');
      return;
    }
    checkSubnets(ctx.issues, at(p, 'destinationSubnets'), m.destinationSubnets);
    checkL4Match(ctx, p, m);
  });
  checkRouteList(ctx, path, route);
}

function checkRouteList(ctx: VsContext, path: string, route: Record<string, any>): void {
  const routes = list(route.route);
  if (routes.length === 0) ctx.issues.error(path, 'route is required: list at least one destination');
  else checkRouteDestinations(ctx, at(path, 'route'), routes, false);
}

function checkTlsRoute(ctx: VsContext, path: string, route: unknown): void {
  const { issues } = ctx;
  if (!isObject(route)) {
    issues.error(path, 'tls route must not be empty (null)');
    return;
  }
  const matches = list(route.match);
  if (matches.length === 0) issues.error(path, 'tls route needs at least one match with sniHosts');
  matches.forEach((m, i) => {
    const p = at(path, 'match', i);
    if (!isObject(m)) {
      issues.error(p, 'match entry must not be empty (null)');
      return;
    }
    const sni = list(m.sniHosts);
    if (sni.length === 0) issues.error(p, 'tls match needs at least one sniHosts entry');
    sni.forEach((h, j) => checkSniHost(ctx, at(p, 'sniHosts', j), h));
    checkSubnets(issues, at(p, 'destinationSubnets'), m.destinationSubnets);
    checkL4Match(ctx, p, m);
  });
  checkRouteList(ctx, path, route);
}

function checkSniHost(ctx: VsContext, path: string, h: unknown): void {
  if (typeof h !== 'string') {
    ctx.issues.error(path, `sniHost ${quote(h)} must be a string`);
    return;
  }
  if (isIp(h)) {
    ctx.issues.warn(path, `sniHost "${h}" is an IP address; clients do not send IP addresses in SNI`);
    return;
  }
  const err = wildcardDomainError(h);
  if (err) {
    ctx.issues.error(path, err);
    return;
  }
  // the SNI name must be one of the hosts or within one of their wildcards; a wildcard SNI host wider
  // than every host (`*.example.com` for `api.example.com`) is refused, as istiod refuses it
  const lower = h.toLowerCase();
  const covered = ctx.hosts.some((vh) => {
    const v = vh.toLowerCase();
    return v === '*' || v === lower || hostCovers(v, lower);
  });
  if (!covered) {
    ctx.issues.error(
      path,
      `sniHost "${h}" does not match any of the VirtualService hosts (${ctx.hosts.join(', ') || 'none'})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Rule reachability (IST0130 / IST0131)
// ---------------------------------------------------------------------------------------------------

/** How istioctl names a rule or a match: `"name"` when it has one, else `#index`. */
function ruleLabel(item: unknown, index: number): string {
  const name = isObject(item) ? str(item.name) : undefined;
  return name ? quote(name) : `#${index}`;
}

function unreachable(path: string, rule: string, reason: string): SemanticIssue {
  return {
    level: 'warning',
    code: 'IST0130',
    args: [rule, reason],
    path,
    message: `VirtualService rule ${rule} not used (${reason}).`,
  };
}

function ineffective(path: string, rule: string, match: string, earlier: string): SemanticIssue {
  return {
    level: 'warning',
    code: 'IST0131',
    args: [rule, match, earlier],
    path,
    message: `VirtualService rule ${rule} match ${match} is not used (duplicate/overlapping match in rule ${earlier}).`,
  };
}

const NON_CONSTRAINTS = new Set(['name', 'uri', 'ignoreUriCase', 'statPrefix']);
const MAP_CONSTRAINTS = new Set(['headers', 'withoutHeaders', 'queryParams', 'sourceLabels']);

/**
 * True when HTTP match `a`, a uri prefix match, receives every request that prefix match `b` would:
 * b's prefix extends a's, and every other condition of `a` is also a condition of `b`.
 */
function prefixCovers(a: Record<string, any>, b: Record<string, any>): boolean {
  const pa = a.uri.prefix as string;
  const pb = b.uri.prefix as string;
  if (b.ignoreUriCase && !a.ignoreUriCase) return false;
  if (!(a.ignoreUriCase ? pb.toLowerCase().startsWith(pa.toLowerCase()) : pb.startsWith(pa))) return false;
  for (const field of Object.keys(a)) {
    const value = a[field];
    if (NON_CONSTRAINTS.has(field) || !isSet(value)) continue;
    if (MAP_CONSTRAINTS.has(field)) {
      const other = isObject(b[field]) ? b[field] : {};
      for (const k of keysOf(value)) {
        if (!(k in other) || canonicalJson(other[k]) !== canonicalJson(value[k])) return false;
      }
    } else if (canonicalJson(b[field]) !== canonicalJson(value)) return false;
  }
  return true;
}

function isPrefixMatch(m: Record<string, any>): boolean {
  return isObject(m.uri) && typeof m.uri.prefix === 'string' && Object.keys(m.uri).length === 1;
}

/**
 * Rules are tried in order, so: a rule after a rule without matches never sees traffic; a match equal to an
 * earlier one (names aside) is ineffective, and a rule whose matches are all such duplicates is unreachable;
 * for HTTP, a uri-prefix match covered by an earlier, shorter prefix with the same other conditions is
 * ineffective too.
 */
function analyzeReachability(issues: Issues, base: string, routes: any[], http: boolean): void {
  const seen = new Map<string, number>();
  const prefixes: Array<{ rule: number; index: number; match: Record<string, any> }> = [];
  let catchAll = -1;
  routes.forEach((route, i) => {
    if (!isObject(route)) return;
    const rule = ruleLabel(route, i);
    const path = at(base, i);
    const matches = list(route.match);
    if (catchAll >= 0) {
      // istioctl's reasons, word for word
      const reason =
        matches.length === 0
          ? 'only the last rule can have no matches'
          : 'route without matches defined before';
      issues.add(unreachable(path, rule, reason));
      return;
    }
    if (matches.length === 0) {
      catchAll = i;
      return;
    }
    let duplicates = 0;
    matches.forEach((m, j) => {
      if (!isObject(m)) return;
      const { name: _name, ...conditions } = m;
      const key = canonicalJson(conditions);
      const mp = at(path, 'match', j);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        issues.add(ineffective(mp, rule, ruleLabel(m, j), ruleLabel(routes[earlier], earlier)));
        duplicates++;
        return;
      }
      seen.set(key, i);
      if (!http || !isPrefixMatch(m)) return;
      const cover = prefixes.find((p) => prefixCovers(p.match, m));
      // as istioctl words it: `"m2" of prefix /api/v1` covered by `"m1" of prefix /api on "r0"`
      if (cover)
        issues.add(
          ineffective(
            mp,
            rule,
            `${ruleLabel(m, j)} of prefix ${m.uri.prefix}`,
            `${ruleLabel(cover.match, cover.index)} of prefix ${cover.match.uri.prefix} on ${ruleLabel(routes[cover.rule], cover.rule)}`,
          ),
        );
      else prefixes.push({ rule: i, index: j, match: m });
    });
    if (duplicates === matches.length) {
      issues.add(unreachable(path, rule, 'all matches used by prior rules'));
    }
  });
}
