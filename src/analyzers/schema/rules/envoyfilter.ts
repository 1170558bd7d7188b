/**
 * EnvoyFilter semantic rules (../shared/docs/reference/analyzers.md §9 "EnvoyFilter"): the standing
 * warning that EnvoyFilter is an implementation-level API, workloadSelector, and per patch the required
 * fields, proxyVersion regex, match/applyTo consistency, filter names and obviously wrong patch values,
 * and the patch value read as the Envoy message of its applyTo (envoy-fields.ts).
 */
import type { Resource } from '../../../manifests/types.js';
import { at, isSet, Issues, quote, re2Error } from './common.js';
import { isObject, list, ownValue, str } from '../../../util/values.js';
import { checkWorkloadSelector } from './common-net.js';
import { checkPatchFields } from './envoy-fields.js';
import type { SemanticIssue } from './types.js';

const MAX_PROXY_VERSION_LENGTH = 1024;
const HCM = 'envoy.filters.network.http_connection_manager';
const LISTENER_CLASS = ['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'];
const ROUTE_CLASS = ['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE'];
const FILTER_CLASS = ['NETWORK_FILTER', 'HTTP_FILTER', 'LISTENER_FILTER'];
const OBJECT_TYPES = ['listener', 'routeConfiguration', 'cluster'] as const;

/** Pre-v3 Envoy filter names and their current names. */
const DEPRECATED_FILTER_NAMES: Record<string, string> = {
  'envoy.http_connection_manager': HCM,
  'envoy.tcp_proxy': 'envoy.filters.network.tcp_proxy',
  'envoy.ext_authz': 'envoy.filters.network.ext_authz or envoy.filters.http.ext_authz',
  'envoy.ratelimit': 'envoy.filters.network.ratelimit or envoy.filters.http.ratelimit',
  'envoy.rate_limit': 'envoy.filters.http.ratelimit',
  'envoy.mongo_proxy': 'envoy.filters.network.mongo_proxy',
  'envoy.redis_proxy': 'envoy.filters.network.redis_proxy',
  'envoy.client_ssl_auth': 'envoy.filters.network.client_ssl_auth',
  'envoy.echo': 'envoy.filters.network.echo',
  'envoy.rbac': 'envoy.filters.http.rbac',
  'envoy.router': 'envoy.filters.http.router',
  'envoy.cors': 'envoy.filters.http.cors',
  'envoy.fault': 'envoy.filters.http.fault',
  'envoy.lua': 'envoy.filters.http.lua',
  'envoy.buffer': 'envoy.filters.http.buffer',
  'envoy.gzip': 'envoy.filters.http.compressor',
  'envoy.grpc_web': 'envoy.filters.http.grpc_web',
  'envoy.grpc_json_transcoder': 'envoy.filters.http.grpc_json_transcoder',
  'envoy.grpc_http1_bridge': 'envoy.filters.http.grpc_http1_bridge',
  'envoy.health_check': 'envoy.filters.http.health_check',
  'envoy.ip_tagging': 'envoy.filters.http.ip_tagging',
  'envoy.squash': 'envoy.filters.http.squash',
  'envoy.csrf': 'envoy.filters.http.csrf',
  'envoy.listener.tls_inspector': 'envoy.filters.listener.tls_inspector',
  'envoy.listener.original_dst': 'envoy.filters.listener.original_dst',
  'envoy.listener.original_src': 'envoy.filters.listener.original_src',
  'envoy.listener.proxy_protocol': 'envoy.filters.listener.proxy_protocol',
  'envoy.listener.http_inspector': 'envoy.filters.listener.http_inspector',
};

export function validateEnvoyFilter(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  issues.add({
    level: 'warning',
    message:
      'EnvoyFilter patches the generated Envoy configuration directly, and that configuration can change between Istio releases: use a higher-level Istio API when one covers the need, and re-test this filter on every upgrade',
  });
  checkWorkloadSelector(issues, 'spec.workloadSelector', spec.workloadSelector, 'EnvoyFilter');
  list(spec.configPatches).forEach((cp, i) => checkPatch(issues, at('spec.configPatches', i), cp));
  return issues.list;
}

function checkPatch(issues: Issues, path: string, cp: unknown): void {
  if (!isObject(cp)) {
    issues.error(path, 'configPatches entry must not be empty (null)');
    return;
  }
  const match = isObject(cp.match) ? cp.match : {};
  if (match.context === 'WAYPOINT') return;
  const applyTo = str(cp.applyTo) ?? '';
  if (applyTo === '' || applyTo === 'INVALID') {
    issues.error(at(path, 'applyTo'), 'applyTo is required (e.g. HTTP_FILTER, CLUSTER, LISTENER)');
  }
  const patch = cp.patch;
  if (!isObject(patch)) {
    issues.error(at(path, 'patch'), 'patch is required');
  } else {
    const op = str(patch.operation) ?? '';
    if (op === '' || op === 'INVALID') {
      issues.error(
        at(path, 'patch', 'operation'),
        'patch operation is required (e.g. MERGE, ADD, INSERT_BEFORE, REMOVE)',
      );
    } else if (op !== 'REMOVE' && !isObject(patch.value)) {
      issues.error(at(path, 'patch', 'value'), `patch value is required for operation ${op}`);
    } else if (isObject(patch.value)) {
      const valuePath = at(path, 'patch', 'value');
      const problem = op === 'REMOVE' ? undefined : checkPatchFields(applyTo, patch.value);
      checkPatchValue(issues, valuePath, patch.value, applyTo, op, problem === undefined);
      if (problem) {
        const where = at(valuePath, ...problem.path);
        // a field the checks above already explain (the untyped `config`) is not reported twice
        if (!issues.list.some((i) => i.path === where)) {
          if (problem.level === 'error') issues.error(where, problem.message);
          else issues.warn(where, problem.message);
        }
      }
    }
  }
  checkProxyVersion(issues, at(path, 'match', 'proxy', 'proxyVersion'), match.proxy);
  checkObjectTypes(issues, at(path, 'match'), match, applyTo);
}

function checkProxyVersion(issues: Issues, path: string, proxy: unknown): void {
  if (!isObject(proxy) || !isSet(proxy.proxyVersion)) return;
  const v = proxy.proxyVersion;
  if (typeof v !== 'string') {
    issues.error(path, `proxyVersion ${quote(v)} must be a regular expression string`);
    return;
  }
  if (v.length > MAX_PROXY_VERSION_LENGTH) {
    issues.warn(
      path,
      `proxyVersion is ${v.length} characters long; keep it under ${MAX_PROXY_VERSION_LENGTH}`,
    );
  }
  const err = re2Error(v);
  if (err) issues.error(path, `proxyVersion ${quote(v)} is not a valid RE2 expression: ${err}`);
}

function checkObjectTypes(issues: Issues, path: string, match: Record<string, any>, applyTo: string): void {
  const used = OBJECT_TYPES.filter((t) => isObject(match[t]));
  if (used.length === 0) return;
  const objectType = used[0]!;
  const expected = LISTENER_CLASS.includes(applyTo)
    ? 'listener'
    : ROUTE_CLASS.includes(applyTo)
      ? 'routeConfiguration'
      : applyTo === 'CLUSTER'
        ? 'cluster'
        : undefined;
  if (expected && objectType !== expected) {
    issues.error(at(path, objectType), `applyTo ${applyTo} needs a match on ${expected}, not ${objectType}`);
  }
  if (objectType === 'listener') checkListenerMatch(issues, at(path, 'listener'), match.listener, applyTo);
}

function checkFilterName(issues: Issues, path: string, name: unknown, what: string): void {
  if (typeof name !== 'string' || name === '') {
    issues.error(path, `${what} match needs a name`);
    return;
  }
  const replacement = ownValue(DEPRECATED_FILTER_NAMES, name);
  if (replacement) issues.warn(path, `${what} name "${name}" is deprecated; use ${replacement}`);
}

function checkListenerMatch(
  issues: Issues,
  path: string,
  listener: Record<string, any>,
  applyTo: string,
): void {
  const fc = listener.filterChain;
  if (!isObject(fc) || !isObject(fc.filter)) return;
  const fp = at(path, 'filterChain', 'filter');
  const filter = fc.filter;
  if (applyTo === 'LISTENER' || applyTo === 'FILTER_CHAIN') {
    issues.warn(
      fp,
      `a filter match is ignored with applyTo ${applyTo}, which patches a whole listener or filter chain`,
    );
  }
  checkFilterName(issues, at(fp, 'name'), filter.name, 'filter');
  if (isObject(filter.subFilter)) {
    const sp = at(fp, 'subFilter');
    if (applyTo !== 'HTTP_FILTER') {
      issues.error(
        sp,
        `subFilter selects an HTTP filter, so it needs applyTo HTTP_FILTER (found ${applyTo || 'unset'})`,
      );
    } else if (filter.name !== HCM && filter.name !== 'envoy.http_connection_manager') {
      // the deprecated name still matches the HTTP connection manager (checkFilterName warns about it)
      issues.error(sp, `subFilter selects an HTTP filter, so the filter around it must be ${HCM}`);
    }
    checkFilterName(issues, at(sp, 'name'), filter.subFilter.name, 'subFilter');
  }
}

/**
 * Checks of the patch value that need no Envoy descriptors. `read`: the value reads as its Envoy message
 * (istiod checks the typed_config of a value it could read; one it cannot read has that problem only).
 */
function checkPatchValue(
  issues: Issues,
  path: string,
  value: Record<string, any>,
  applyTo: string,
  op: string,
  read: boolean,
): void {
  const typed = isObject(value.typed_config)
    ? value.typed_config
    : isObject(value.typedConfig)
      ? value.typedConfig
      : undefined;
  const typedPath = at(path, isObject(value.typed_config) ? 'typed_config' : 'typedConfig');
  const typeUrl = typed ? str(typed['@type']) : undefined;
  // (an older but still read type such as udpa.type.v1.TypedStruct is no problem: istiod warns only
  // about Any types whose .proto is marked FROZEN, which that one is not)
  if (
    typeUrl !== undefined &&
    /^type\.googleapis\.com\/envoy\.(api\.v2\.|config\.filter\.|.*\.v2(alpha)?\.)/.test(typeUrl)
  ) {
    issues.error(
      at(typedPath, '@type'),
      `"${typeUrl}" is an Envoy v2 API type, which Envoy no longer supports; use the v3 type`,
    );
  }
  const inserts =
    op === 'ADD' ||
    op === 'INSERT_BEFORE' ||
    op === 'INSERT_AFTER' ||
    op === 'INSERT_FIRST' ||
    op === 'REPLACE';
  if (FILTER_CLASS.includes(applyTo) && inserts) {
    if (isObject(value.config)) {
      issues.error(
        at(path, 'config'),
        'the untyped filter "config" field is no longer supported; use typed_config',
      );
    } else if (!typed && read) {
      issues.warn(
        path,
        `the ${applyTo === 'HTTP_FILTER' ? 'HTTP' : applyTo === 'LISTENER_FILTER' ? 'listener' : 'network'} filter has no typed_config; Envoy may reject it or apply defaults`,
      );
    }
  }
}
