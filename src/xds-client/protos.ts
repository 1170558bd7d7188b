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
