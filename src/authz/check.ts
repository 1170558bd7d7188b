/**
 * `authz check`: which AuthorizationPolicies (and rules of them) a proxy enforces, recovered from the
 * RBAC filters of its listeners, as istioctl's `x authz check` does (see docs/reference/proxy.md §13).
 */
import { ConfigDump, DumpType } from '../envoy/dump.js';
import { FieldTypeError, arr, field, fieldKey, has, isObj, str, typeUrl, type Obj } from '../envoy/fields.js';
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
  /** Fields of the wrong type that left a listener, filter chain or RBAC filter out of `policies`. */
  unreadable: FieldTypeError[];
}

/** `ns[<ns>]-policy[<name>]-rule[<i>]` (optionally `istio-ext-authz-` prefixed) -> its parts. */
export function parsePolicyKey(key: string): { namespace: string; policy: string; rule: string } | undefined {
  const m = POLICY_NAME.exec(key);
  return m ? { namespace: m[1]!, policy: m[2]!, rule: m[3]! } : undefined;
}

/**
 * A message field: absent (or null) is undefined; any other value that is not an object is unreadable
 * input, rather than read as absent (an RBAC filter would then silently enforce nothing).
 */
function message(o: unknown, name: string): Obj | undefined {
  const v = field(o, name);
  if (v === undefined || v === null) return undefined;
  if (isObj(v)) return v;
  throw new FieldTypeError(o as Obj, fieldKey(o, name), undefined, 'an object', v);
}

/** The RBAC filters of a filter chain: network RBAC filters and HTTP RBAC filters inside HCMs. */
function rbacFilters(chain: unknown): unknown[] {
  const out: unknown[] = [];
  for (const f of arr(chain, 'filters')) {
    const name = str(f, 'name');
    if (name === NETWORK_RBAC) out.push(f);
    else if (HCM_NAMES.has(name))
      for (const hf of arr(message(f, 'typed_config'), 'http_filters'))
        if (str(hf, 'name') === HTTP_RBAC) out.push(hf);
  }
  return out;
}

/** What one RBAC filter enforces: its action and policy keys, and the ext-authz (CUSTOM) shadow keys. */
interface RbacPolicies {
  action: AuthzAction;
  keys: string[];
  custom: string[];
}

/**
 * Reads an RBAC filter; undefined when its typed config is of another type (istioctl skips it too). A
 * field of the wrong type is thrown before anything is noted, so a filter is listed whole or not at all.
 */
function readRbac(filter: unknown): RbacPolicies | undefined {
  const cfg = message(filter, 'typed_config');
  if (!cfg || (typeUrl(cfg) && !typeUrl(cfg).endsWith('.rbac.v3.RBAC'))) return undefined;
  const rules = message(cfg, 'rules');
  const action = rbacAction(rules);
  const keys = Object.keys(message(rules, 'policies') ?? {});
  const shadow = Object.keys(message(message(cfg, 'shadow_rules'), 'policies') ?? {});
  return { action, keys, custom: shadow.filter((k) => k.startsWith(EXT_AUTHZ_PREFIX)) };
}

/** The RBAC action (ALLOW when unset, as in proto3); an unknown one is unreadable, not taken for ALLOW. */
function rbacAction(rules: Obj | undefined): AuthzAction {
  const v = field(rules, 'action');
  if (v === undefined || v === null) return 'ALLOW';
  const action = typeof v === 'number' ? RBAC_ACTIONS[v] : RBAC_ACTIONS.find((a) => a === v);
  if (action === undefined)
    throw new FieldTypeError(rules!, fieldKey(rules, 'action'), undefined, 'ALLOW, DENY or LOG', v);
  return action;
}

/**
 * Analyzes a ListenersConfigDump section (only dynamic listeners with an active state count, as in
 * istioctl; static listeners and default filter chains are ignored). A listener, filter chain or RBAC
 * filter with a field of the wrong type is left out and its error kept in `unreadable`, so the rest is
 * still reported; a section whose listener list cannot be read is thrown.
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

  // what cannot be read (a listener, a filter chain, an RBAC filter) leaves out only itself
  const unreadable: FieldTypeError[] = [];
  const tolerant = (read: () => void) => {
    try {
      read();
    } catch (err) {
      if (!(err instanceof FieldTypeError)) throw err;
      unreadable.push(err);
    }
  };
  for (const d of arr(section, 'dynamic_listeners'))
    tolerant(() => {
      const listener = message(message(d, 'active_state'), 'listener');
      if (!listener) return;
      const listenerName = str(listener, 'name') || str(d, 'name');
      for (const chain of arr(listener, 'filter_chains'))
        tolerant(() => {
          for (const filter of rbacFilters(chain))
            tolerant(() => {
              const rbac = readRbac(filter);
              if (!rbac) return;
              for (const k of rbac.keys) note(rbac.action, k, listenerName);
              for (const k of rbac.custom) note('CUSTOM', k, listenerName);
              if (rbac.keys.length === 0) note(rbac.action, MATCH_NOTHING, listenerName);
            });
        });
    });

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
  return { policies, unrecognised: [...unrecognised].sort(byteOrder), unreadable };
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
