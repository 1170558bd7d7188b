/**
 * `authz check`: which AuthorizationPolicies (and rules of them) a proxy enforces, recovered from the
 * RBAC filters of its listeners, as istioctl's `x authz check` does (see docs/reference/proxy.md §13).
 */
import { ConfigDump, DumpType } from '../envoy/dump.js';
import {
  FieldTypeError,
  arr,
  field,
  fieldKey,
  has,
  isObj,
  shownValue,
  str,
  typeUrl,
  type Obj,
} from '../envoy/fields.js';
import { renderTable } from '../render/tabwriter.js';

export const AUTHZ_ACTIONS = ['DENY', 'ALLOW', 'LOG', 'CUSTOM'] as const;
export type AuthzAction = (typeof AUTHZ_ACTIONS)[number];

const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const HTTP_RBAC = 'envoy.filters.http.rbac';
const NETWORK_RBAC = 'envoy.filters.network.rbac';
const HTTP_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const NETWORK_RBAC_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';
/** The wrappers Envoy accepts in place of a typed config: the config as JSON in `value`, its type in `type_url`. */
const TYPED_STRUCTS = new Set([
  'type.googleapis.com/udpa.type.v1.TypedStruct',
  'type.googleapis.com/xds.type.v3.TypedStruct',
]);
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
  /** Distinct rule indexes of this name under this action (across all filters). */
  rules: number;
  ruleIndexes: string[];
  /** Names of the listeners whose RBAC filters carry this policy under this action. */
  listeners: string[];
}

/** An RBAC filter whose config Envoy gets from ECDS (`config_discovery`): its policies are not in the listener. */
export interface DiscoveredRbacFilter {
  /** The filter's name, which is also the name of the ECDS resource it takes. */
  filter: string;
  listeners: string[];
}

export interface AuthzCheckResult {
  policies: AuthzPolicyRow[];
  /** Dynamic listeners with an active state: with none, istioctl prints nothing, not even the header. */
  activeListeners: number;
  /** RBAC filters configured through ECDS, by filter name. */
  discovered: DiscoveredRbacFilter[];
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

/**
 * A FieldTypeError that shows the wrong value whole: a type URL, which the usual 40 characters would cut
 * before the part that tells one type from another.
 */
class RbacConfigError extends FieldTypeError {
  constructor(holder: Obj, key: string, index: number | undefined, expected: string, got: string) {
    super(holder, key, index, expected, got);
    Object.defineProperty(this, 'shown', { value: got });
    this.message = `field ${key}${index === undefined ? '' : `[${index}]`} must be ${expected}, got ${got}`;
  }
}

const isRbacType = (type: string) => type.endsWith('.rbac.v3.RBAC');

/** The type of a filter's config, looking through a TypedStruct; '' when there is none. */
function configType(filter: unknown): string {
  const typed = field(filter, 'typed_config');
  const type = typeUrl(typed);
  return TYPED_STRUCTS.has(type) ? str(typed, 'type_url') : type;
}

/**
 * Whether a filter is RBAC: by its well-known name (as istioctl reads it), or by the type of its config or
 * the types its ECDS config may have, whatever the name: Envoy picks a filter's extension by that type
 * (its `no_extension_lookup_by_name` runtime guard, on by default).
 */
function isRbacFilter(filter: unknown, wellKnownName: string): boolean {
  if (str(filter, 'name') === wellKnownName || isRbacType(configType(filter))) return true;
  const urls = field(field(filter, 'config_discovery'), 'type_urls');
  return Array.isArray(urls) && urls.some((u) => typeof u === 'string' && isRbacType(u));
}

/** Where an RBAC filter is: the list holding it (for messages) and the config type expected there. */
interface RbacFilterRef {
  filter: unknown;
  holder: Obj;
  key: string;
  index: number;
  type: string;
}

/**
 * The config of an HTTP connection manager, or undefined when the filter is not one. Envoy picks a filter's
 * extension by its config type, so a filter is an HCM when its config is of the HCM type (or a TypedStruct
 * of it, read from `value`), whatever its name; one with a well-known HCM name and no config, or a config of
 * another type, is thrown (Envoy would refuse it), never read as a connection manager without filters.
 */
function hcmConfig(filter: unknown, holder: Obj, index: number): Obj | undefined {
  const type = configType(filter);
  const named = HCM_NAMES.has(str(filter, 'name'));
  // a hand-written dump may leave out `@type`: the well-known name then says what it is, as for RBAC
  const untyped = named && type === '' && message(filter, 'typed_config') !== undefined;
  if (type !== HCM_TYPE && !untyped) {
    if (!named || isRbacType(type)) return undefined;
    throw new RbacConfigError(
      holder,
      fieldKey(holder, 'filters'),
      index,
      `an HTTP connection manager with a typed_config of ${HCM_TYPE} (or a TypedStruct of it)`,
      type === '' ? shownValue(filter) : JSON.stringify(type),
    );
  }
  const typed = message(filter, 'typed_config')!;
  return TYPED_STRUCTS.has(typeUrl(typed)) ? (message(typed, 'value') ?? {}) : typed;
}

/** The RBAC filters of a filter chain (see isRbacFilter): network ones, and HTTP ones inside HCMs. */
function rbacFilters(chain: unknown): RbacFilterRef[] {
  const out: RbacFilterRef[] = [];
  const filters = arr(chain, 'filters');
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i];
    const hcm = hcmConfig(f, chain as Obj, i);
    if (hcm) {
      const httpFilters = arr(hcm, 'http_filters');
      for (let j = 0; j < httpFilters.length; j++) {
        const hf = httpFilters[j];
        if (isRbacFilter(hf, HTTP_RBAC))
          out.push({
            filter: hf,
            holder: hcm,
            key: fieldKey(hcm, 'http_filters'),
            index: j,
            type: HTTP_RBAC_TYPE,
          });
      }
    } else if (isRbacFilter(f, NETWORK_RBAC))
      out.push({
        filter: f,
        holder: chain as Obj,
        key: fieldKey(chain, 'filters'),
        index: i,
        type: NETWORK_RBAC_TYPE,
      });
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
 * Reads an RBAC filter: its policies, or 'ecds' when Envoy takes its config from ECDS (the listener then
 * holds only the filter's name). A config wrapped in a TypedStruct is read from its `value`, as Envoy reads
 * it. What Envoy would not take for an RBAC filter (no config at all, a config of another type) is thrown,
 * as is a field of the wrong type, before anything is noted: a filter is listed whole or not at all.
 */
function readRbac(ref: RbacFilterRef): RbacPolicies | 'ecds' {
  const typed = message(ref.filter, 'typed_config');
  if (!typed) {
    if (has(ref.filter, 'config_discovery')) return 'ecds';
    throw new RbacConfigError(
      ref.holder,
      ref.key,
      ref.index,
      'an RBAC filter with a typed_config or a config_discovery (Envoy accepts no filter without either)',
      shownValue(ref.filter),
    );
  }
  let cfg: Obj = typed;
  const type = typeUrl(typed);
  const expected = `${ref.type} (or a TypedStruct of it)`;
  if (TYPED_STRUCTS.has(type)) {
    const inner = field(typed, 'type_url');
    if (typeof inner !== 'string' || !isRbacType(inner))
      throw new RbacConfigError(
        typed,
        fieldKey(typed, 'type_url'),
        undefined,
        ref.type,
        typeof inner === 'string' ? JSON.stringify(inner) : shownValue(inner),
      );
    cfg = message(typed, 'value') ?? {};
  } else if (type !== '' && !isRbacType(type)) {
    throw new RbacConfigError(typed, '@type', undefined, expected, JSON.stringify(type));
  }
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
  const rows = new Map<
    string,
    { action: AuthzAction; name: string; rules: Set<string>; listeners: Set<string> }
  >();
  const parts = new Map<string, { namespace: string; policy: string }>();
  const unrecognised = new Set<string>();
  const discovered = new Map<string, Set<string>>(); // ECDS filter name -> listeners
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
    const id = `${action} ${name}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { action, name, rules: new Set(), listeners: new Set() }));
    row.rules.add(rule);
    row.listeners.add(listener);
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
  let activeListeners = 0;
  for (const d of arr(section, 'dynamic_listeners'))
    tolerant(() => {
      const listener = message(message(d, 'active_state'), 'listener');
      if (!listener) return;
      activeListeners++;
      const listenerName = str(listener, 'name') || str(d, 'name');
      for (const chain of arr(listener, 'filter_chains'))
        tolerant(() => {
          for (const ref of rbacFilters(chain))
            tolerant(() => {
              const rbac = readRbac(ref);
              if (rbac === 'ecds') {
                const name = str(ref.filter, 'name');
                if (!discovered.has(name)) discovered.set(name, new Set());
                discovered.get(name)!.add(listenerName);
                return;
              }
              for (const k of rbac.keys) note(rbac.action, k, listenerName);
              for (const k of rbac.custom) note('CUSTOM', k, listenerName);
              if (rbac.keys.length === 0) note(rbac.action, MATCH_NOTHING, listenerName);
            });
        });
    });

  const policies: AuthzPolicyRow[] = [];
  for (const action of AUTHZ_ACTIONS) {
    const names = [...rows.values()].filter((r) => r.action === action).map((r) => r.name);
    for (const name of names.sort(byteOrder)) {
      const row = rows.get(`${action} ${name}`)!;
      const indexes = [...row.rules].sort(byteOrder);
      policies.push({
        action,
        name,
        ...parts.get(name),
        rules: indexes.length,
        ruleIndexes: indexes,
        listeners: [...row.listeners].sort(byteOrder),
      });
    }
  }
  return {
    policies,
    activeListeners,
    discovered: [...discovered.keys()]
      .sort(byteOrder)
      .map((filter) => ({ filter, listeners: [...discovered.get(filter)!].sort(byteOrder) })),
    unrecognised: [...unrecognised].sort(byteOrder),
    unreadable,
  };
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

/**
 * istioctl's table: `ACTION  AuthorizationPolicy  RULES`, padding 3, RULES counting a name's rules across
 * actions as istioctl does; nothing at all (not even the header) when no listener is active, as istioctl.
 */
export function renderAuthzTable(result: AuthzCheckResult): string {
  if (result.activeListeners === 0) return '';
  // istioctl's RULES column counts a name's distinct rule indexes across every action (a name with DENY
  // rule 0 and ALLOW rule 1 shows 2 on both rows), where `policies[].rules` counts its row's only
  const indexes = new Map<string, Set<string>>();
  for (const p of result.policies)
    for (const i of p.ruleIndexes) indexes.set(p.name, (indexes.get(p.name) ?? new Set()).add(i));
  const rows = [['ACTION', 'AuthorizationPolicy', 'RULES']];
  for (const p of result.policies) rows.push([p.action, p.name, String(indexes.get(p.name)?.size ?? 0)]);
  return renderTable(rows, 3);
}
