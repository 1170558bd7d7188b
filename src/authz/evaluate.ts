/**
 * Offline evaluation of AuthorizationPolicies for one request, in Istio's order: CUSTOM, then DENY, then
 * ALLOW (no ALLOW policy for the workload = allowed; ALLOW policies but none matching = denied). AUDIT
 * policies never decide; policies annotated `istio.io/dry-run: "true"` are evaluated but only reported.
 */
import { labelsMatch } from '../kube/labels.js';
import { rulesWithTrustDomains } from './trust-domain.js';
import type { Resource } from '../manifests/types.js';
import { lineOf } from '../manifests/positions.js';
import {
  matchField,
  matchHost,
  matchIp,
  matchPath,
  matchPrincipal,
  matchRequestPrincipal,
  matchServiceAccount,
  matchString,
  matchTrustDomain,
  normalizePath,
  pathTemplateError,
  type JwtIdentity,
  type PathNormalization,
} from './match.js';

export type PolicyAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
const ACTIONS: readonly PolicyAction[] = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];

export interface Policy {
  namespace: string;
  name: string;
  action: PolicyAction;
  /** CUSTOM: the extension provider's name. */
  provider?: string;
  /** `spec.selector.matchLabels`; undefined selects every workload of the namespace. */
  selector?: Record<string, string>;
  dryRun: boolean;
  /** `spec.rules`; absent or empty matches nothing. */
  rules: any[];
  /** `file:line`, for messages. */
  origin: string;
}

export interface AuthzRequest {
  source: { principal?: string; namespace?: string; ip?: string; remoteIp?: string };
  destination: { namespace: string; labels: Record<string, string>; port?: number; ip?: string };
  protocol: 'http' | 'tcp';
  method?: string;
  path?: string;
  host?: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  sni?: string;
  auth?: { principal?: string; audiences?: string[]; presenter?: string; claims?: Record<string, unknown> };
}

export interface RuleRef {
  action: PolicyAction;
  /** `namespace/name`. */
  policy: string;
  rule: number;
  provider?: string;
  /** TCP request: the rule matched with its HTTP-only fields ignored (Istio does this for non-ALLOW rules). */
  httpFieldsIgnored?: boolean;
}

export type Decision = 'ALLOW' | 'DENY' | 'CUSTOM';

export interface Evaluation {
  /** CUSTOM: allowed by the local policies, but only if the external authorizer also allows. */
  decision: Decision;
  /** The rule that decided (absent when no policy did: default allow, or no ALLOW rule matched). */
  by?: RuleRef;
  reason: string;
  /** The path the policies saw, when normalization changed the request's (query left out). */
  normalizedPath?: string;
  /** The CUSTOM rule that sends the request to an external authorizer, if any. */
  custom?: RuleRef;
  audit: RuleRef[];
  /** Matching rules of dry-run policies (not enforced). */
  dryRun: RuleRef[];
  /** ALLOW/DENY/CUSTOM/AUDIT policies that select the destination workload. */
  applicable: string[];
}

/** Messages about policies mesh cannot evaluate the way Istio would (reported once each). */
export interface PolicyNote {
  origin: string;
  message: string;
}

const label = (p: Policy) => `${p.namespace}/${p.name}`;

/**
 * AuthorizationPolicy resources -> policies, their rules read under the mesh's trust domain and aliases
 * as istiod reads them; ones that cannot apply to workloads are noted and left out.
 */
export function toPolicies(
  resources: readonly Resource[],
  notes: PolicyNote[],
  trustDomains: readonly string[] = ['cluster.local'],
): Policy[] {
  const out: Policy[] = [];
  const isPolicy = (r: Resource) => r.kind === 'AuthorizationPolicy' && r.group === 'security.istio.io';
  const where = (r: Resource) => `${r.origin.file}:${lineOf(r)}`;
  const key = (r: Resource) => `${r.namespace ?? 'default'}/${r.name}`;
  // one object per namespace/name, as the API server stores it: the later definition replaces the earlier
  const last = new Map<string, Resource>();
  for (const r of resources) if (isPolicy(r)) last.set(key(r), r);
  for (const r of resources) {
    const origin = where(r);
    if (isPolicy(r) && last.get(key(r)) !== r) {
      const later = last.get(key(r))!;
      notes.push({
        origin: where(later),
        message:
          `AuthorizationPolicy ${key(r)} is also defined at ${origin}; only this later definition is ` +
          'evaluated (applied in this order, the cluster would keep it)',
      });
      continue;
    }
    if (r.kind === 'RequestAuthentication' && r.group === 'security.istio.io') {
      const extra: string[] = (Array.isArray(r.spec?.jwtRules) ? r.spec.jwtRules : []).flatMap((j: any) =>
        Array.isArray(j?.spaceDelimitedClaims) ? j.spaceDelimitedClaims.map(String) : [],
      );
      const more = [...new Set(extra)].filter((c) => !SPACE_DELIMITED_CLAIMS.has(c));
      if (more.length > 0)
        notes.push({
          origin,
          message:
            `${r.name}: spaceDelimitedClaims ${more.join(', ')} are not split here (only scope and permission ` +
            'are); write such claims as lists in the cases',
        });
      continue;
    }
    if (r.kind !== 'AuthorizationPolicy' || r.group !== 'security.istio.io') continue;
    const spec = r.spec ?? {};
    const action = (spec.action ?? 'ALLOW') as PolicyAction;
    if (!ACTIONS.includes(action)) {
      notes.push({ origin, message: `${r.name}: unknown action "${spec.action}" (policy ignored)` });
      continue;
    }
    if (spec.targetRef || spec.targetRefs) {
      notes.push({
        origin,
        message: `${r.name}: targetRef policies apply to gateways and waypoints, not to workloads (policy ignored)`,
      });
      continue;
    }
    for (const n of spiffePrincipals(spec)) notes.push({ origin, message: `${r.name}: ${n}` });
    for (const [i, rule] of (Array.isArray(spec.rules) ? spec.rules : []).entries())
      for (const [j, op] of (Array.isArray(rule?.to) ? rule.to : []).entries())
        for (const p of [...(op?.operation?.paths ?? []), ...(op?.operation?.notPaths ?? [])]) {
          const err = pathTemplateError(String(p));
          if (err)
            notes.push({ origin, message: `${r.name}: rules[${i}].to[${j}]: invalid path "${p}": ${err}` });
        }
    out.push({
      namespace: r.namespace ?? 'default',
      name: r.name,
      action,
      provider: action === 'CUSTOM' ? String(spec.provider?.name ?? '') : undefined,
      selector: spec.selector?.matchLabels ?? undefined,
      dryRun: String(r.metadata?.annotations?.['istio.io/dry-run'] ?? '').toLowerCase() === 'true',
      rules: Array.isArray(spec.rules) ? rulesWithTrustDomains(spec.rules, trustDomains) : [],
      origin,
    });
  }
  return out.sort((a, b) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.map(String) : v === undefined || v === null ? undefined : [String(v)];

/**
 * Principals written with `spiffe://`: istiod prefixes `spiffe://` to every principal value, so such a
 * value never matches (a `notPrincipals` one never excludes).
 */
function spiffePrincipals(spec: any): string[] {
  const out: string[] = [];
  const check = (where: string, v: unknown) => {
    if (typeof v === 'string' && /^spiffe:\/\//i.test(v))
      out.push(
        `${where} "${v}" never matches: Istio adds spiffe:// to principals itself (write ` +
          `"${v.replace(/^spiffe:\/\//i, '')}")`,
      );
  };
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  list(spec?.rules).forEach((rule: any, i) => {
    list(rule?.from).forEach((f: any, j) => {
      for (const field of ['principals', 'notPrincipals'])
        list(f?.source?.[field]).forEach((v, k) => check(`rules[${i}].from[${j}].source.${field}[${k}]`, v));
    });
    list(rule?.when).forEach((c: any, j) => {
      if (c?.key !== 'source.principal') return;
      for (const field of ['values', 'notValues'])
        list(c?.[field]).forEach((v, k) => check(`rules[${i}].when[${j}].${field}[${k}]`, v));
    });
  });
  return out;
}

function sourceNamespace(req: AuthzRequest): string | undefined {
  if (req.source.namespace !== undefined) return req.source.namespace;
  return req.source.principal ? /\/ns\/([^/]+)\//.exec(req.source.principal)?.[1] : undefined;
}

/**
 * The `iss` and `sub` claims of the request's JWT: the case's `claims.iss` / `claims.sub` when it gives
 * them, else its principal (`<iss>/<sub>`, as Istio forms it) cut at the last `/`.
 */
function jwtIdentity(req: AuthzRequest): JwtIdentity | undefined {
  const auth = req.auth;
  if (!auth) return undefined;
  const p = auth.principal;
  const slash = p === undefined ? -1 : p.lastIndexOf('/');
  const claim = (name: string) =>
    typeof auth.claims?.[name] === 'string' ? (auth.claims[name] as string) : undefined;
  return {
    iss: claim('iss') ?? (p === undefined ? undefined : slash < 0 ? p : p.slice(0, slash)),
    sub: claim('sub') ?? (p === undefined || slash < 0 ? undefined : p.slice(slash + 1)),
  };
}

/** A value that may be a list (claims, audiences): any element matching counts. */
const matchAny = (pattern: string, values: string[] | undefined) =>
  (values ?? []).some((v) => matchString(pattern, v));

/**
 * Top-level claims Envoy splits on spaces before matching. istiod sets the JWT filter's
 * `normalize_payload_in_metadata.space_delimited_claims` of every provider to `scope` and `permission`,
 * plus the claims a RequestAuthentication's jwtRules list in `spaceDelimitedClaims` (istio
 * pilot/pkg/security/authn/policy_applier.go, buildSpaceDelimitedClaims).
 */
const SPACE_DELIMITED_CLAIMS = new Set(['scope', 'permission']);

/**
 * `request.auth.claims[a][b]` -> the strings Envoy's matcher can see there, or undefined when the claim is
 * absent. Facts relied on:
 * - Envoy's jwt_authn (authenticator.cc, setPayloadMetadata) turns each space-delimited claim that is a
 *   top-level string into a list of its space-separated words, empty ones dropped; a string of spaces only
 *   stays as it is, and nested claims are never split.
 * - istiod matches a claim with a metadata matcher whose value is a string matcher on the claim, or on any
 *   element of a list claim (istio pilot/pkg/security/authz/model/generator.go requestClaimGenerator,
 *   matcher.MetadataListValueMatcher); Envoy's string matcher never matches a value that is not a string
 *   (source/common/common/matchers.h), so a boolean, number or object claim, or such a list element, never
 *   matches `values` (and always satisfies `notValues`).
 */
function claimValues(claims: Record<string, unknown> | undefined, path: string[]): string[] | undefined {
  let cur: unknown = claims;
  for (const k of path) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  if (cur === undefined || cur === null) return undefined;
  if (typeof cur === 'string') {
    if (path.length === 1 && SPACE_DELIMITED_CLAIMS.has(path[0]!)) {
      const words = cur.split(' ').filter((w) => w !== '');
      if (words.length > 0) return words;
    }
    return [cur];
  }
  return Array.isArray(cur) ? cur.filter((v): v is string => typeof v === 'string') : [];
}

const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'];
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const isHttpKey = (key: string) => key.startsWith('request.headers') || key.startsWith('request.auth.');

/**
 * Whether `when` condition `key` holds, or undefined for a key mesh does not evaluate (such a condition
 * never matches, and is noted).
 */
function matchCondition(cond: any, req: AuthzRequest, policyNamespace: string): boolean | undefined {
  const key = String(cond?.key ?? '');
  const values = strings(cond?.values);
  const notValues = strings(cond?.notValues);
  const field = <T>(actual: T, m: (p: string, a: T) => boolean) => matchField(values, notValues, actual, m);
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return field(req.headers[header[1]!.toLowerCase()], matchString);
  const claim = /^request\.auth\.claims((?:\[[^\]]+\])+)$/.exec(key);
  if (claim) {
    const path = [...claim[1]!.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!);
    return field(claimValues(req.auth?.claims, path), matchAny);
  }
  switch (key) {
    case 'source.ip':
      return field(req.source.ip, matchIp);
    case 'remote.ip':
      return field(req.source.remoteIp ?? req.source.ip, matchIp);
    case 'destination.ip':
      return field(req.destination.ip, matchIp);
    case 'destination.port':
      return field(
        req.destination.port === undefined ? undefined : String(req.destination.port),
        matchString,
      );
    case 'source.namespace':
      return field(sourceNamespace(req), matchString);
    case 'source.principal':
      return field(req.source.principal, matchPrincipal);
    case 'source.serviceAccount':
      return field(req.source.principal, (v, p) => matchServiceAccount(policyNamespace, v, p));
    case 'source.trustDomain':
      return field(req.source.principal, matchTrustDomain);
    case 'request.auth.principal':
      return field(jwtIdentity(req), matchRequestPrincipal);
    case 'request.auth.audiences':
      return field(req.auth?.audiences, matchAny);
    case 'request.auth.presenter':
      return field(req.auth?.presenter, matchString);
    case 'connection.sni':
      return field(req.sni, matchString);
    default:
      return undefined;
  }
}

function matchSource(src: any, req: AuthzRequest, ignore: Set<string>, policyNamespace: string): boolean {
  const s = src?.source ?? {};
  const f = <T>(name: string, actual: T, m: (p: string, a: T) => boolean) =>
    ignore.has(name) || matchField(strings(s[name]), undefined, actual, m);
  const n = <T>(name: string, actual: T, m: (p: string, a: T) => boolean) =>
    ignore.has(name) || matchField(undefined, strings(s[name]), actual, m);
  const remote = req.source.remoteIp ?? req.source.ip;
  const jwt = jwtIdentity(req);
  const sa = (v: string, p: string | undefined) => matchServiceAccount(policyNamespace, v, p);
  return (
    f('principals', req.source.principal, matchPrincipal) &&
    n('notPrincipals', req.source.principal, matchPrincipal) &&
    f('requestPrincipals', jwt, matchRequestPrincipal) &&
    n('notRequestPrincipals', jwt, matchRequestPrincipal) &&
    f('serviceAccounts', req.source.principal, sa) &&
    n('notServiceAccounts', req.source.principal, sa) &&
    f('trustDomains', req.source.principal, matchTrustDomain) &&
    n('notTrustDomains', req.source.principal, matchTrustDomain) &&
    f('namespaces', sourceNamespace(req), matchString) &&
    n('notNamespaces', sourceNamespace(req), matchString) &&
    f('ipBlocks', req.source.ip, matchIp) &&
    n('notIpBlocks', req.source.ip, matchIp) &&
    f('remoteIpBlocks', remote, matchIp) &&
    n('notRemoteIpBlocks', remote, matchIp)
  );
}

function matchOperation(to: any, req: AuthzRequest, ignore: Set<string>): boolean {
  const o = to?.operation ?? {};
  const port = req.destination.port === undefined ? undefined : String(req.destination.port);
  const f = <T>(name: string, actual: T, m: (p: string, a: T) => boolean, negative = false) =>
    ignore.has(name) ||
    (negative
      ? matchField(undefined, strings(o[name]), actual, m)
      : matchField(strings(o[name]), undefined, actual, m));
  return (
    f('hosts', req.host, matchHost) &&
    f('notHosts', req.host, matchHost, true) &&
    f('ports', port, matchString) &&
    f('notPorts', port, matchString, true) &&
    f('methods', req.method, matchString) &&
    f('notMethods', req.method, matchString, true) &&
    f('paths', req.path, matchPath) &&
    f('notPaths', req.path, matchPath, true)
  );
}

/** Does a rule use fields that only exist for HTTP traffic? */
function httpOnly(rule: any): boolean {
  const from: any[] = Array.isArray(rule?.from) ? rule.from : [];
  const to: any[] = Array.isArray(rule?.to) ? rule.to : [];
  const when: any[] = Array.isArray(rule?.when) ? rule.when : [];
  return (
    from.some((f) => HTTP_SOURCE_FIELDS.some((k) => f?.source?.[k] !== undefined)) ||
    to.some((t) => HTTP_OPERATION_FIELDS.some((k) => t?.operation?.[k] !== undefined)) ||
    when.some((w) => isHttpKey(String(w?.key ?? '')))
  );
}

/**
 * One rule against one request. For TCP traffic Istio drops ALLOW rules that use HTTP-only fields (they
 * match nothing) and ignores those fields in the other actions (the rule matches more).
 */
export function matchRule(
  rule: any,
  action: PolicyAction,
  req: AuthzRequest,
  unknownKeys?: Set<string>,
  policyNamespace = req.destination.namespace,
): boolean {
  if (rule === null || typeof rule !== 'object') return false;
  let ignore = new Set<string>();
  if (req.protocol === 'tcp' && httpOnly(rule)) {
    if (action === 'ALLOW') return false;
    ignore = new Set([...HTTP_SOURCE_FIELDS, ...HTTP_OPERATION_FIELDS]);
  }
  const from: any[] = Array.isArray(rule.from) ? rule.from : [];
  const to: any[] = Array.isArray(rule.to) ? rule.to : [];
  const when: any[] = Array.isArray(rule.when) ? rule.when : [];
  if (from.length > 0 && !from.some((s) => matchSource(s, req, ignore, policyNamespace))) return false;
  if (to.length > 0 && !to.some((o) => matchOperation(o, req, ignore))) return false;
  for (const c of when) {
    if (ignore.size > 0 && isHttpKey(String(c?.key ?? ''))) continue;
    const ok = matchCondition(c, req, policyNamespace);
    if (ok === undefined) unknownKeys?.add(String(c?.key ?? ''));
    if (!ok) return false;
  }
  return true;
}

/** Policies that select the destination workload (its namespace or the root namespace, and labels). */
export function applicablePolicies(
  policies: readonly Policy[],
  req: AuthzRequest,
  rootNamespace: string,
): Policy[] {
  return policies.filter(
    (p) =>
      (p.namespace === req.destination.namespace || p.namespace === rootNamespace) &&
      (p.selector === undefined || labelsMatch(p.selector, req.destination.labels)),
  );
}

function ruleRef(p: Policy, i: number, req: AuthzRequest): RuleRef {
  const ref: RuleRef = { action: p.action, policy: label(p), rule: i };
  if (p.provider !== undefined) ref.provider = p.provider;
  if (req.protocol === 'tcp' && httpOnly(p.rules[i])) ref.httpFieldsIgnored = true;
  return ref;
}

function firstMatch(
  policies: readonly Policy[],
  req: AuthzRequest,
  unknownKeys: Set<string>,
): RuleRef | undefined {
  for (const p of policies) {
    const i = p.rules.findIndex((r) => matchRule(r, p.action, req, unknownKeys, p.namespace));
    if (i >= 0) return ruleRef(p, i, req);
  }
  return undefined;
}

export const describeRule = (r: RuleRef) =>
  `${r.action} ${r.policy} rules[${r.rule}]${r.provider ? ` (provider ${r.provider})` : ''}` +
  `${r.httpFieldsIgnored ? ' (HTTP-only fields ignored for TCP)' : ''}`;

/**
 * Evaluates one request; `unknownKeys` collects `when` keys that could not be evaluated. The path is first
 * normalized as Envoy normalizes it under the mesh config's `pathNormalization` (default BASE).
 */
export function evaluate(
  policies: readonly Policy[],
  request: AuthzRequest,
  rootNamespace: string,
  unknownKeys: Set<string> = new Set(),
  pathNormalization: PathNormalization = 'BASE',
): Evaluation {
  let req = request;
  let normalizedPath: string | undefined;
  if (req.protocol === 'http' && req.path !== undefined) {
    const n = normalizePath(req.path, pathNormalization);
    const applicable = applicablePolicies(policies, req, rootNamespace).map(label);
    if (n.rejected) return { decision: 'DENY', reason: n.rejected, audit: [], dryRun: [], applicable };
    if (n.path !== req.path.split('?')[0]) normalizedPath = n.path;
    req = { ...req, path: n.path };
  }
  const withPath = (e: Evaluation): Evaluation =>
    normalizedPath === undefined ? e : { ...e, normalizedPath };
  return withPath(decide(policies, req, rootNamespace, unknownKeys));
}

function decide(
  policies: readonly Policy[],
  req: AuthzRequest,
  rootNamespace: string,
  unknownKeys: Set<string>,
): Evaluation {
  const applicable = applicablePolicies(policies, req, rootNamespace);
  const enforced = (a: PolicyAction) => applicable.filter((p) => p.action === a && !p.dryRun);
  const allRules = (ps: readonly Policy[]) =>
    ps.flatMap((p) =>
      p.rules.flatMap((r, i) =>
        matchRule(r, p.action, req, unknownKeys, p.namespace) ? [ruleRef(p, i, req)] : [],
      ),
    );
  const base = {
    audit: allRules(enforced('AUDIT')),
    dryRun: allRules(applicable.filter((p) => p.dryRun)),
    applicable: applicable.map(label),
  };
  const custom = firstMatch(enforced('CUSTOM'), req, unknownKeys);
  const deny = firstMatch(enforced('DENY'), req, unknownKeys);
  if (deny) return { ...base, decision: 'DENY', by: deny, custom, reason: `denied by ${describeRule(deny)}` };
  const allowPolicies = enforced('ALLOW');
  let decision: Evaluation;
  if (allowPolicies.length === 0) {
    decision = {
      ...base,
      decision: 'ALLOW',
      reason: 'no ALLOW policy selects the workload (allowed by default)',
    };
  } else {
    const allow = firstMatch(allowPolicies, req, unknownKeys);
    decision = allow
      ? { ...base, decision: 'ALLOW', by: allow, reason: `allowed by ${describeRule(allow)}` }
      : {
          ...base,
          decision: 'DENY',
          reason: `no rule of the ALLOW policies ${allowPolicies.map(label).join(', ')} matches`,
        };
  }
  if (custom && decision.decision === 'ALLOW')
    return {
      ...decision,
      decision: 'CUSTOM',
      custom,
      by: custom,
      reason: `sent to the external authorizer by ${describeRule(custom)}; ${decision.reason}`,
    };
  return custom ? { ...decision, custom } : decision;
}
