/**
 * `authz check`: which AuthorizationPolicies (and rules of them) a proxy enforces, recovered from the
 * RBAC filters of its listeners, as istioctl's `x authz check` does (see docs/reference/proxy.md §13).
 */
import { ConfigDump, DumpType } from '../envoy/dump.js';
import { arr, field, has, obj, str, typeUrl, type Obj } from '../envoy/fields.js';
import { renderTable } from '../render/tabwriter.js';

export const AUTHZ_ACTIONS = ['DENY', 'ALLOW', 'LOG', 'CUSTOM'] as const;
export type AuthzAction = (typeof AUTHZ_ACTIONS)[number];

const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const HTTP_RBAC = 'envoy.filters.http.rbac';
const NETWORK_RBAC = 'envoy.filters.network.rbac';
const RBAC_ACTIONS = ['ALLOW', 'DENY', 'LOG'] as const;
const EXT_AUTHZ_PREFIX = 'istio-ext-authz-';
/** Pseudo policy istioctl lists for an RBAC filter without policies (it matches nothing). */
export const MATCH_NOTHING = '_anonymous_match_nothing_';
const POLICY_NAME = /(?:istio-ext-authz-)?ns\[(.+)\]-policy\[(.+)\]-rule\[(.+)\]/;

export interface AuthzPolicyRow {
  action: AuthzAction;
  /** `<policy>.<namespace>` as istioctl prints it; `_anonymous_match_nothing_`; empty when unrecognised. */
  name: string;
  namespace?: string;
  policy?: string;
  /** Distinct rule indexes seen for this name (across all filters and actions). */
  rules: number;
  ruleIndexes: string[];
  /** Names of the listeners whose RBAC filters carry this policy. */
  listeners: string[];
}

export interface AuthzCheckResult {
  policies: AuthzPolicyRow[];
  /** RBAC policy keys that do not follow istiod's naming (listed under an empty name). */
  unrecognised: string[];
}

/** `ns[<ns>]-policy[<name>]-rule[<i>]` (optionally `istio-ext-authz-` prefixed) -> its parts. */
export function parsePolicyKey(key: string): { namespace: string; policy: string; rule: string } | undefined {
  const m = POLICY_NAME.exec(key);
  return m ? { namespace: m[1]!, policy: m[2]!, rule: m[3]! } : undefined;
}

/** The RBAC configs of one listener: HTTP RBAC filters inside HCMs and network RBAC filters. */
function rbacConfigs(listener: Obj): Obj[] {
  const out: Obj[] = [];
  const add = (f: unknown) => {
    const cfg = obj(f, 'typed_config');
    // A typed config of another type cannot be read as RBAC (istioctl skips it too).
    if (cfg && (!typeUrl(cfg) || typeUrl(cfg).endsWith('.rbac.v3.RBAC'))) out.push(cfg);
  };
  for (const chain of arr(listener, 'filter_chains')) {
    for (const f of arr(chain, 'filters')) {
      const name = str(f, 'name');
      if (name === NETWORK_RBAC) add(f);
      else if (HCM_NAMES.has(name))
        for (const hf of arr(obj(f, 'typed_config'), 'http_filters'))
          if (str(hf, 'name') === HTTP_RBAC) add(hf);
    }
  }
  return out;
}

function rbacAction(rules: Obj | undefined): AuthzAction {
  const v = field(rules, 'action');
  if (typeof v === 'number') return RBAC_ACTIONS[v] ?? 'ALLOW';
  return typeof v === 'string' && (RBAC_ACTIONS as readonly string[]).includes(v)
    ? (v as AuthzAction)
    : 'ALLOW';
}

/**
 * Analyzes a ListenersConfigDump section (only dynamic listeners with an active state count, as in
 * istioctl; static listeners and default filter chains are ignored).
 */
export function analyzeListenersDump(section: Obj): AuthzCheckResult {
  const byAction = new Map<AuthzAction, Map<string, Set<string>>>(); // action -> name -> listeners
  const ruleIndexes = new Map<string, Set<string>>();
  const parts = new Map<string, { namespace: string; policy: string }>();
  const unrecognised = new Set<string>();
  const note = (action: AuthzAction, key: string, listener: string) => {
    let name: string;
    let rule: string;
    if (key === MATCH_NOTHING) {
      name = MATCH_NOTHING;
      rule = '0';
    } else {
      const p = parsePolicyKey(key);
      name = p ? `${p.policy}.${p.namespace}` : '';
      rule = p ? p.rule : '';
      if (p) parts.set(name, { namespace: p.namespace, policy: p.policy });
      else unrecognised.add(key);
    }
    if (!byAction.has(action)) byAction.set(action, new Map());
    const names = byAction.get(action)!;
    if (!names.has(name)) names.set(name, new Set());
    names.get(name)!.add(listener);
    if (!ruleIndexes.has(name)) ruleIndexes.set(name, new Set());
    ruleIndexes.get(name)!.add(rule);
  };

  for (const d of arr(section, 'dynamic_listeners')) {
    const listener = obj(obj(d, 'active_state'), 'listener');
    if (!listener) continue;
    const listenerName = str(listener, 'name') || str(d, 'name');
    for (const cfg of rbacConfigs(listener)) {
      const rules = obj(cfg, 'rules');
      const action = rbacAction(rules);
      const keys = Object.keys(obj(rules, 'policies') ?? {});
      for (const k of keys) note(action, k, listenerName);
      for (const k of Object.keys(obj(obj(cfg, 'shadow_rules'), 'policies') ?? {}))
        if (k.startsWith(EXT_AUTHZ_PREFIX)) note('CUSTOM', k, listenerName);
      if (keys.length === 0) note(action, MATCH_NOTHING, listenerName);
    }
  }

  const policies: AuthzPolicyRow[] = [];
  for (const action of AUTHZ_ACTIONS) {
    const names = byAction.get(action);
    if (!names) continue;
    for (const name of [...names.keys()].sort(byteOrder)) {
      const indexes = [...ruleIndexes.get(name)!].sort(byteOrder);
      policies.push({
        action,
        name,
        ...parts.get(name),
        rules: indexes.length,
        ruleIndexes: indexes,
        listeners: [...names.get(name)!].sort(byteOrder),
      });
    }
  }
  return { policies, unrecognised: [...unrecognised].sort(byteOrder) };
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A parsed dump: a full `{configs: [...]}` config dump (its ListenersConfigDump section, or istioctl's
 * error when it has none: exit 65, naming `source` when given) or a bare ListenersConfigDump message.
 */
export function analyzeDump(root: Obj, source?: string): AuthzCheckResult {
  const bare =
    field(root, 'configs') === undefined && (has(root, 'dynamic_listeners') || has(root, 'static_listeners'));
  return analyzeListenersDump(
    bare ? root : new ConfigDump(root, undefined, source).require(DumpType.listeners),
  );
}

/** istioctl's table: `ACTION  AuthorizationPolicy  RULES`, padding 3. */
export function renderAuthzTable(result: AuthzCheckResult): string {
  const rows = [['ACTION', 'AuthorizationPolicy', 'RULES']];
  for (const p of result.policies) rows.push([p.action, p.name, String(p.rules)]);
  return renderTable(rows, 3);
}
