import { describe, expect, it } from 'vitest';
import type { SemanticIssue } from '../../../src/analyzers/schema/rules/types.js';
import { at, checker, paths } from './net-helpers.js';

const check = checker('EnvoyFilter', 'networking.istio.io/v1alpha3');
/** Issues other than the standing warning that EnvoyFilter patches Envoy directly. */
const ef = (spec: string): SemanticIssue[] => {
  const issues = check(spec);
  expect(issues[0]!.message).toContain('EnvoyFilter patches the generated Envoy configuration directly');
  return issues.slice(1);
};

describe('EnvoyFilter semantic rules', () => {
  it('always warns that EnvoyFilter is an implementation-level API', () => {
    const issues = check('  configPatches: []\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.level).toBe('warning');
  });

  it('requires applyTo, patch, operation and (except for REMOVE) a value', () => {
    const issues = ef(`  configPatches:
  - null
  - patch: {operation: MERGE}
  - applyTo: CLUSTER
  - applyTo: CLUSTER
    patch: {value: {connect_timeout: 1s}}
  - applyTo: CLUSTER
    patch: {operation: REMOVE}
  - applyTo: LISTENER
    match: {context: WAYPOINT}
`);
    expect(paths(issues)).toEqual([
      'spec.configPatches[0]',
      'spec.configPatches[1].applyTo',
      'spec.configPatches[1].patch.value',
      'spec.configPatches[2].patch',
      'spec.configPatches[3].patch.operation',
    ]);
    expect(at(issues, 'spec.configPatches[1].patch.value').message).toBe(
      'patch value is required for operation MERGE',
    );
  });

  it('checks proxyVersion regexes and their length', () => {
    const issues = ef(`  configPatches:
  - applyTo: CLUSTER
    match: {proxy: {proxyVersion: "^1\\\\.(2[0-9]"}}
    patch: {operation: REMOVE}
  - applyTo: CLUSTER
    match: {proxy: {proxyVersion: "${'1'.repeat(1025)}"}}
    patch: {operation: REMOVE}
`);
    expect(at(issues, 'spec.configPatches[0].match.proxy.proxyVersion').message).toContain(
      'not a valid RE2 expression',
    );
    expect(at(issues, 'spec.configPatches[1].match.proxy.proxyVersion').level).toBe('warning');
  });

  it('requires the match object type to fit applyTo', () => {
    const issues = ef(`  configPatches:
  - applyTo: HTTP_ROUTE
    match: {listener: {portNumber: 80}}
    patch: {operation: REMOVE}
  - applyTo: CLUSTER
    match: {routeConfiguration: {name: x}}
    patch: {operation: REMOVE}
  - applyTo: HTTP_FILTER
    match: {cluster: {name: x}}
    patch: {operation: REMOVE}
`);
    expect(at(issues, 'spec.configPatches[0].match.listener').message).toBe(
      'applyTo HTTP_ROUTE needs a match on routeConfiguration, not listener',
    );
    expect(at(issues, 'spec.configPatches[1].match.routeConfiguration').level).toBe('error');
    expect(at(issues, 'spec.configPatches[2].match.cluster').level).toBe('error');
  });

  it('checks filter and subFilter matches', () => {
    const issues = ef(`  configPatches:
  - applyTo: FILTER_CHAIN
    match: {listener: {filterChain: {filter: {name: envoy.http_connection_manager}}}}
    patch: {operation: REMOVE}
  - applyTo: NETWORK_FILTER
    match: {listener: {filterChain: {filter: {subFilter: {name: envoy.router}}}}}
    patch: {operation: REMOVE}
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy, subFilter: {}}}}}
    patch: {operation: REMOVE}
`);
    const f = (i: number) => `spec.configPatches[${i}].match.listener.filterChain.filter`;
    expect(at(issues, f(0)).message).toContain('a filter match is ignored with applyTo FILTER_CHAIN');
    expect(at(issues, `${f(0)}.name`).message).toContain('use envoy.filters.network.http_connection_manager');
    expect(at(issues, `${f(1)}.name`).message).toBe('filter match needs a name');
    expect(at(issues, `${f(1)}.subFilter`).message).toContain(
      'needs applyTo HTTP_FILTER (found NETWORK_FILTER)',
    );
    expect(at(issues, `${f(1)}.subFilter.name`).level).toBe('warning');
    expect(at(issues, `${f(2)}.subFilter`).message).toContain(
      'the filter around it must be envoy.filters.network.http_connection_manager',
    );
    expect(at(issues, `${f(2)}.subFilter.name`).message).toBe('subFilter match needs a name');
  });

  it('accepts a subFilter inside the deprecated envoy.http_connection_manager name, with its deprecation warning', () => {
    const issues = ef(`  configPatches:
  - applyTo: HTTP_FILTER
    match: {listener: {filterChain: {filter: {name: envoy.http_connection_manager, subFilter: {name: envoy.filters.http.router}}}}}
    patch: {operation: REMOVE}
`);
    expect(issues).toEqual([
      {
        level: 'warning',
        path: 'spec.configPatches[0].match.listener.filterChain.filter.name',
        message:
          'filter name "envoy.http_connection_manager" is deprecated; use envoy.filters.network.http_connection_manager',
      },
    ]);
  });

  it('checks what it can of patch values without Envoy descriptors', () => {
    const issues = ef(`  configPatches:
  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_FIRST
      value:
        name: envoy.filters.http.ext_authz
        typed_config:
          "@type": type.googleapis.com/envoy.config.filter.http.ext_authz.v2.ExtAuthz
  - applyTo: NETWORK_FILTER
    patch:
      operation: ADD
      value: {name: envoy.tcp_proxy, config: {stat_prefix: x}}
  - applyTo: HTTP_FILTER
    patch:
      operation: ADD
      value: {name: my.filter}
  - applyTo: HTTP_FILTER
    patch:
      operation: ADD
      value:
        name: my.wasm
        typed_config: {"@type": type.googleapis.com/udpa.type.v1.TypedStruct}
`);
    expect(at(issues, 'spec.configPatches[0].patch.value.typed_config["@type"]').message).toContain(
      'Envoy v2 API type',
    );
    expect(at(issues, 'spec.configPatches[1].patch.value.config').level).toBe('error');
    // a filter's own name is only a label when it has a typed_config (Envoy goes by the type): an old name
    // there is no problem (istiod says nothing either; a match on an old name is, see above)
    expect(issues.some((i) => i.path === 'spec.configPatches[1].patch.value.name')).toBe(false);
    expect(at(issues, 'spec.configPatches[2].patch.value').message).toContain('has no typed_config');
    // the older udpa TypedStruct is still read by Envoy, and istiod does not warn about it (it warns only
    // about types whose .proto is FROZEN): no issue
    expect(issues.some((i) => i.path?.startsWith('spec.configPatches[3]'))).toBe(false);
  });

  // Messages and levels as the testbed's istioctl gives them (see envoy-fields.ts).
  describe('patch values read as the Envoy message of their applyTo', () => {
    /** The one problem of each patch: `path level message`. */
    const problems = (patches: string) =>
      ef(`  priority: 1\n  configPatches:\n${patches}`).map((i) => `${i.path} ${i.level} ${i.message}`);

    it('names the first unknown field in sorted order, with the message it is unknown in', () => {
      expect(
        problems(`  - applyTo: CLUSTER
    patch:
      operation: MERGE
      value: {connectTimeout: 1s, zzz: 1, bogus: 1, lb_policy: 3, metadata: {filter_metadata: {any: {thing: 1}}}}
  - applyTo: HTTP_ROUTE
    patch: {operation: MERGE, value: {route: {timeout: 1s, bogusNested: true}}}
  - applyTo: CLUSTER
    patch:
      operation: MERGE
      value: {circuit_breakers: {thresholds: [{max_connections: 1}, {nope_deep: 2}]}}
  - applyTo: LISTENER
    patch: {operation: REMOVE}
  - applyTo: ROUTE_CONFIGURATION
    patch: {operation: MERGE, value: {LbPolicy: x, virtual_hosts: [{name: vh, domains: ["*"]}]}}
`),
      ).toEqual([
        'spec.configPatches[0].patch.value.bogus warning Envoy filter: unknown field "bogus" in envoy.config.cluster.v3.Cluster',
        'spec.configPatches[1].patch.value.route.bogusNested warning Envoy filter: unknown field "bogusNested" in envoy.config.route.v3.RouteAction',
        'spec.configPatches[2].patch.value.circuit_breakers.thresholds[1].nope_deep warning Envoy filter: unknown field "nope_deep" in envoy.config.cluster.v3.CircuitBreakers.Thresholds',
        'spec.configPatches[4].patch.value.LbPolicy warning Envoy filter: unknown field "LbPolicy" in envoy.config.route.v3.RouteConfiguration',
      ]);
    });

    // istiod checks that a filter has a typed_config only on a value it could read (the testbed's analyze
    // oracle, upstream's envoy-filter-replace-operation.yaml test-replace-3): a value with an unknown field
    // has that problem only; a filter value it reads without typed_config has the typed_config warning.
    it('says a filter has no typed_config only when its value reads as the filter', () => {
      expect(
        problems(`  - applyTo: NETWORK_FILTER
    patch: {operation: INSERT_FIRST, value: {name: lua_cluster, connect_timeout: 0.5s}}
  - applyTo: NETWORK_FILTER
    patch: {operation: INSERT_FIRST, value: {name: envoy.filters.network.rbac}}
`),
      ).toEqual([
        'spec.configPatches[0].patch.value.connect_timeout warning Envoy filter: unknown field "connect_timeout" in envoy.config.listener.v3.Filter',
        'spec.configPatches[1].patch.value warning the network filter has no typed_config; Envoy may reject it or apply defaults',
      ]);
    });

    it('checks inside Anys of known types first, and an error anywhere before an unknown field', () => {
      expect(
        problems(`  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_FIRST
      value:
        aaa_top: 1
        name: f
        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, aaa: 1}
  - applyTo: NETWORK_FILTER
    patch:
      operation: MERGE
      value:
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          http_filters:
          - name: x
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, nested: 1}
  - applyTo: CLUSTER
    patch: {operation: MERGE, value: {aaa: 1, lb_policy: NOT_A_POLICY}}
  - applyTo: HTTP_FILTER
    patch: {operation: INSERT_FIRST, value: {name: f, typed_config: {inline_code: x}}}
  - applyTo: CLUSTER
    patch:
      operation: ADD
      value:
        name: c
        typed_extension_protocol_options:
          envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
            "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
            nope: 1
  - applyTo: HTTP_FILTER
    patch:
      operation: INSERT_FIRST
      value: {name: f, typed_config: {"@type": type.googleapis.com/foo.bar.Unknown, anything: 1}}
`),
      ).toEqual([
        'spec.configPatches[0].patch.value.typed_config.aaa warning Envoy filter: can\'t unmarshal Any nested proto type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua: unknown field "aaa" in envoy.extensions.filters.http.lua.v3.Lua',
        'spec.configPatches[1].patch.value.typed_config.http_filters[0].typed_config.nested warning Envoy filter: can\'t unmarshal Any nested proto type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager: can\'t unmarshal Any nested proto type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua: unknown field "nested" in envoy.extensions.filters.http.lua.v3.Lua',
        'spec.configPatches[2].patch.value.lb_policy error Envoy filter: unknown value "\\"NOT_A_POLICY\\"" for enum envoy.config.cluster.v3.Cluster.LbPolicy',
        "spec.configPatches[3].patch.value.typed_config error Envoy filter: Any JSON doesn't have '@type'",
        'spec.configPatches[4].patch.value.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].nope warning Envoy filter: can\'t unmarshal Any nested proto type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions: unknown field "nope" in envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      ]);
    });
  });

  it('applies the workloadSelector rules', () => {
    expect(
      at(ef('  workloadSelector: {labels: {"*": x}}\n'), 'spec.workloadSelector.labels["*"]').level,
    ).toBe('error');
  });
});
