/**
 * The xDS protocol definitions: the real Envoy, xDS (cncf), validate and googleapis .proto files that
 * ship with @grpc/grpc-js-xds, loaded with @grpc/proto-loader. Loaded once, on first use, so commands
 * that never speak xDS never pay for it.
 *
 * Decoding options: field names as in the .proto (snake_case, like Envoy's own config dumps), enums by
 * name, 64-bit integers as strings, and `json` so that google.protobuf.Any values of loaded types are
 * expanded into `{"@type": …, …}` objects (unknown types keep `type_url` + base64 `value`).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as grpcTypes from '@grpc/grpc-js';
import type * as loaderTypes from '@grpc/proto-loader';
import { installWellKnownTypes } from './wkt.js';

const require = createRequire(import.meta.url);

/** The services: enough for sync status (ClientConfig is in csds.proto). */
const SERVICE_FILES = ['envoy/service/discovery/v3/ads.proto', 'envoy/service/status/v3/csds.proto'];

/**
 * Plus the config dump and the resource and extension types that Anys carry, for config (istiod's
 * config_dump, a client's CSDS resources). Loading these takes several times longer, so only then.
 *
 * An Any of a type not loaded here stays undecoded (type URL and bytes) while an Envoy dump shows it
 * expanded: the diff can then only say it was not compared. So the list holds the extensions Istio's
 * generated config (and common EnvoyFilters) use whose .proto ships complete with @grpc/grpc-js-xds
 * (Istio's own filters, such as stats and metadata exchange, do not ship). Loading every shipped one
 * would cost ~350 ms a run; these cost ~60 ms.
 */
const CONFIG_FILES = [
  ...SERVICE_FILES,
  'envoy/admin/v3/config_dump.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/route/v3/scoped_route.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
  'envoy/extensions/filters/http/grpc_stats/v3/config.proto',
  'envoy/extensions/filters/http/grpc_web/v3/grpc_web.proto',
  'envoy/extensions/filters/http/wasm/v3/wasm.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/lua/v3/lua.proto',
  'envoy/extensions/filters/http/set_filter_state/v3/set_filter_state.proto',
  'envoy/extensions/filters/http/stateful_session/v3/stateful_session.proto',
  'envoy/extensions/filters/http/compressor/v3/compressor.proto',
  'envoy/extensions/filters/http/header_to_metadata/v3/header_to_metadata.proto',
  'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/network/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/network/set_filter_state/v3/set_filter_state.proto',
  'envoy/extensions/filters/network/connection_limit/v3/connection_limit.proto',
  'envoy/extensions/filters/network/mongo_proxy/v3/mongo_proxy.proto',
  'envoy/extensions/filters/network/redis_proxy/v3/redis_proxy.proto',
  'envoy/extensions/filters/network/wasm/v3/wasm.proto',
  'envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto',
  'envoy/extensions/filters/listener/original_src/v3/original_src.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/grpc/v3/als.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/transport_sockets/internal_upstream/v3/internal_upstream.proto',
  'envoy/extensions/transport_sockets/tcp_stats/v3/tcp_stats.proto',
  'envoy/extensions/transport_sockets/proxy_protocol/v3/upstream_proxy_protocol.proto',
  'envoy/extensions/transport_sockets/http_11_proxy/v3/upstream_http_11_connect.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls_spiffe_validator_config.proto',
  'envoy/extensions/request_id/uuid/v3/uuid.proto',
  'envoy/extensions/matching/common_inputs/network/v3/network_inputs.proto',
  'envoy/extensions/matching/common_inputs/ssl/v3/ssl_inputs.proto',
  'xds/type/matcher/v3/ip.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/host/omit_canary_hosts/v3/omit_canary_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'envoy/extensions/upstreams/tcp/v3/tcp_protocol_options.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/datadog.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/config/trace/v3/lightstep.proto',
  'envoy/config/trace/v3/skywalking.proto',
];

export const LOADER_OPTIONS: loaderTypes.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
  oneofs: false,
  json: true,
};

export interface XdsProtos {
  grpc: typeof grpcTypes;
  ads: grpcTypes.ServiceDefinition;
  csds: grpcTypes.ServiceDefinition;
  /** The whole package definition, for anyone (tests, servers) that needs more services. */
  packageDefinition: loaderTypes.PackageDefinition;
}

const cached: { services?: XdsProtos; config?: XdsProtos } = {};

/** Where the proto sources are: the `deps/` folder of @grpc/grpc-js-xds. */
export function protoIncludeDirs(): string[] {
  const base = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  return ['envoy-api', 'xds', 'protoc-gen-validate', 'googleapis'].map((d) => join(base, d));
}

/** The protos for sync status only (`what: 'services'`), or with every config type (`'config'`). */
export function loadXdsProtos(what: 'services' | 'config' = 'config'): XdsProtos {
  const hit = cached[what] ?? (what === 'services' ? cached.config : undefined);
  if (hit) return hit;
  installWellKnownTypes();
  const loader = require('@grpc/proto-loader') as typeof loaderTypes;
  const grpc = require('@grpc/grpc-js') as typeof grpcTypes;
  const files = what === 'services' ? SERVICE_FILES : CONFIG_FILES;
  const packageDefinition = loader.loadSync(files, {
    ...LOADER_OPTIONS,
    includeDirs: protoIncludeDirs(),
  });
  const service = (name: string) => {
    const def = packageDefinition[name];
    if (!def || 'format' in def) throw new Error(`proto service ${name} not found`);
    return def as grpcTypes.ServiceDefinition;
  };
  const loaded: XdsProtos = {
    grpc,
    packageDefinition,
    ads: service('envoy.service.discovery.v3.AggregatedDiscoveryService'),
    csds: service('envoy.service.status.v3.ClientStatusDiscoveryService'),
  };
  cached[what] = loaded;
  return loaded;
}
