// A generator for realistic Envoy sidecar config dumps (outbound EDS clusters with TLS and metadata,
// per-service listeners with HTTP and TCP filter chains, route configurations with many virtual hosts,
// EDS endpoints): the proxy-config benchmark's input.
import { writeFileSync } from 'node:fs';

const A = 'type.googleapis.com/envoy.admin.v3.';

const ns = (i) => `team-${i % 60}`;
/** How a sidecar fetches its secrets: SDS over gRPC from the Istio agent (the `sds-grpc` cluster). */
const sdsConfig = () => ({
  api_config_source: {
    api_type: 'GRPC',
    grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
    set_node_on_first_message_only: true,
    transport_api_version: 'V3',
  },
  resource_api_version: 'V3',
});
const host = (i) => `svc-${i}.${ns(i)}.svc.cluster.local`;
const ip = (i, j = 0) => `10.${(i >> 8) & 255}.${i & 255}.${10 + j}`;

function cluster(i, port, subset = '') {
  const name = `outbound|${port}|${subset}|${host(i)}`;
  return {
    version_info: '2026-08-01T10:00:00Z/42',
    cluster: {
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name,
      type: 'EDS',
      eds_cluster_config: {
        eds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
        service_name: name,
      },
      connect_timeout: '10s',
      lb_policy: 'LEAST_REQUEST',
      circuit_breakers: {
        thresholds: [
          {
            max_connections: 4294967295,
            max_pending_requests: 4294967295,
            max_requests: 4294967295,
            max_retries: 4294967295,
            track_remaining: true,
          },
        ],
      },
      common_lb_config: { locality_weighted_lb_config: {} },
      metadata: {
        filter_metadata: {
          istio: {
            config: `/apis/networking.istio.io/v1/namespaces/${ns(i)}/destination-rule/svc-${i}`,
            services: [{ host: host(i), name: `svc-${i}`, namespace: ns(i) }],
          },
        },
      },
      transport_socket_matches: [
        {
          name: 'tlsMode-istio',
          match: { tlsMode: 'istio' },
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
              common_tls_context: {
                tls_params: {
                  tls_minimum_protocol_version: 'TLSv1_2',
                  tls_maximum_protocol_version: 'TLSv1_3',
                },
                tls_certificate_sds_secret_configs: [
                  {
                    name: 'default',
                    sds_config: sdsConfig(),
                  },
                ],
                combined_validation_context: {
                  default_validation_context: {
                    match_subject_alt_names: [{ exact: `spiffe://cluster.local/ns/${ns(i)}/sa/svc-${i}` }],
                  },
                  validation_context_sds_secret_config: {
                    name: 'ROOTCA',
                    sds_config: sdsConfig(),
                  },
                },
                alpn_protocols: ['istio-peer-exchange', 'istio'],
              },
              sni: `outbound_.${port}_.${subset}_.${host(i)}`,
            },
          },
        },
        {
          name: 'tlsMode-disabled',
          match: {},
          transport_socket: {
            name: 'envoy.transport_sockets.raw_buffer',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
            },
          },
        },
      ],
    },
    last_updated: '2026-08-01T10:00:01.123Z',
  };
}

function listener(i) {
  const port = 8000 + (i % 50);
  const address = `172.20.${(i >> 8) & 255}.${i & 255}`;
  return {
    name: `${address}_${port}`,
    active_state: {
      version_info: '2026-08-01T10:00:00Z/42',
      listener: {
        '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
        name: `${address}_${port}`,
        address: { socket_address: { address, port_value: port } },
        filter_chains: [
          {
            filter_chain_match: {
              transport_protocol: 'raw_buffer',
              application_protocols: ['http/1.1', 'h2c'],
            },
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: {
                  '@type':
                    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                  stat_prefix: `outbound_${address}_${port}`,
                  rds: {
                    config_source: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
                    route_config_name: `${host(i)}:${port}`,
                  },
                  http_filters: [
                    {
                      name: 'istio.metadata_exchange',
                      typed_config: {
                        '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
                        type_url: 'type.googleapis.com/io.istio.http.peer_metadata.Config',
                        value: { upstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }] },
                      },
                    },
                    {
                      name: 'envoy.filters.http.grpc_stats',
                      typed_config: {
                        '@type':
                          'type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig',
                        emit_filter_state: true,
                        stats_for_all_methods: false,
                      },
                    },
                    {
                      name: 'envoy.filters.http.router',
                      typed_config: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                      },
                    },
                  ],
                  tracing: {
                    client_sampling: { value: 100 },
                    random_sampling: { value: 1 },
                    overall_sampling: { value: 100 },
                  },
                  use_remote_address: false,
                  upgrade_configs: [{ upgrade_type: 'websocket' }],
                  stream_idle_timeout: '0s',
                  normalize_path: true,
                  path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
                },
              },
            ],
            name: `${address}_${port}`,
          },
          {
            filters: [
              {
                name: 'envoy.filters.network.tcp_proxy',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                  stat_prefix: `outbound|${port}||${host(i)}`,
                  cluster: `outbound|${port}||${host(i)}`,
                  max_connect_attempts: 5,
                },
              },
            ],
            name: `${address}_${port}-tcp`,
          },
        ],
        listener_filters: [
          {
            name: 'envoy.filters.listener.tls_inspector',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
            },
          },
        ],
        traffic_direction: 'OUTBOUND',
        bind_to_port: false,
      },
      last_updated: '2026-08-01T10:00:01.456Z',
    },
  };
}

function routeConfig(k, perConfig) {
  const virtual_hosts = [];
  for (let j = 0; j < perConfig; j++) {
    const i = k * perConfig + j;
    const port = 8000 + (k % 50);
    virtual_hosts.push({
      name: `${host(i)}:${port}`,
      domains: [
        host(i),
        `${host(i)}:${port}`,
        `svc-${i}`,
        `svc-${i}:${port}`,
        `svc-${i}.${ns(i)}.svc`,
        `svc-${i}.${ns(i)}.svc:${port}`,
        `svc-${i}.${ns(i)}`,
        `svc-${i}.${ns(i)}:${port}`,
        ip(i),
        `${ip(i)}:${port}`,
      ],
      routes: [
        {
          match: { prefix: `/api/v${j % 3}` },
          route: {
            cluster: `outbound|${port}|v1|${host(i)}`,
            timeout: '0s',
            retry_policy: {
              retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
              num_retries: 2,
              retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
              host_selection_retry_max_attempts: '5',
              retriable_status_codes: [503],
            },
            max_grpc_timeout: '0s',
          },
          metadata: {
            filter_metadata: {
              istio: { config: `/apis/networking.istio.io/v1/namespaces/${ns(i)}/virtual-service/svc-${i}` },
            },
          },
          decorator: { operation: `svc-${i}:${port}/api*` },
          name: 'api',
        },
        {
          match: { prefix: '/' },
          route: { cluster: `outbound|${port}||${host(i)}`, timeout: '0s' },
          decorator: { operation: `svc-${i}:${port}/*` },
          name: 'default',
        },
      ],
      include_request_attempt_count: true,
    });
  }
  return {
    version_info: '2026-08-01T10:00:00Z/42',
    route_config: {
      '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      name: String(8000 + k),
      virtual_hosts,
      validate_clusters: false,
      max_direct_response_body_size_bytes: 1048576,
    },
    last_updated: '2026-08-01T10:00:01.789Z',
  };
}

function loadAssignment(i, port) {
  const lb_endpoints = [];
  for (let j = 0; j < 3; j++) {
    lb_endpoints.push({
      endpoint: {
        address: { socket_address: { address: ip(i, j), port_value: port } },
        health_check_config: {},
      },
      health_status: j === 2 && i % 17 === 0 ? 'UNHEALTHY' : 'HEALTHY',
      metadata: {
        filter_metadata: {
          'envoy.transport_socket_match': { tlsMode: 'istio' },
          istio: { workload: `svc-${i}-v1;${ns(i)};svc-${i};v1;Kubernetes` },
        },
      },
      load_balancing_weight: 1,
    });
  }
  return {
    endpoint_config: {
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: `outbound|${port}||${host(i)}`,
      endpoints: [
        {
          locality: { region: 'eu-west1', zone: `eu-west1-${'abc'[i % 3]}` },
          lb_endpoints,
          load_balancing_weight: 3,
        },
      ],
      policy: { overprovisioning_factor: 140 },
    },
  };
}

/** Writes a dump of `services` services to `file` (pretty-printed with one-space indent, as Envoy does). */
export function generateDump(file, services) {
  const SERVICES = services;
  const dynamicClusters = [];
  const eds = [];
  for (let i = 0; i < SERVICES; i++) {
    const port = 8000 + (i % 50);
    dynamicClusters.push(cluster(i, port), cluster(i, port, 'v1'));
    eds.push(loadAssignment(i, port));
  }
  const listeners = Array.from({ length: SERVICES }, (_, i) => listener(i));
  const perConfig = 20;
  const routes = Array.from({ length: Math.ceil(SERVICES / perConfig) }, (_, k) => routeConfig(k, perConfig));
  const dump = {
    configs: [
      {
        '@type': `${A}BootstrapConfigDump`,
        bootstrap: {
          node: {
            id: 'sidecar~10.0.0.1~bench.default~default.svc.cluster.local',
            metadata: { ISTIO_VERSION: '1.27.0', ISTIO_PROXY_SHA: 'istio-proxy:0123456789abcdef' },
            user_agent_name: 'envoy',
            user_agent_build_version: {
              version: { major_number: 1, minor_number: 35, patch: 2 },
              metadata: { 'revision.status': 'Clean', 'build.type': 'RELEASE', 'ssl.version': 'BoringSSL' },
            },
          },
        },
        last_updated: '2026-08-01T09:59:00Z',
      },
      {
        '@type': `${A}ClustersConfigDump`,
        version_info: '2026-08-01T10:00:00Z/42',
        static_clusters: [
          {
            cluster: {
              '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
              name: 'prometheus_stats',
              type: 'STATIC',
            },
          },
        ],
        dynamic_active_clusters: dynamicClusters,
      },
      { '@type': `${A}EndpointsConfigDump`, dynamic_endpoint_configs: eds },
      {
        '@type': `${A}ListenersConfigDump`,
        version_info: '2026-08-01T10:00:00Z/42',
        dynamic_listeners: listeners,
      },
      { '@type': `${A}RoutesConfigDump`, dynamic_route_configs: routes },
      { '@type': `${A}SecretsConfigDump`, dynamic_active_secrets: [] },
    ],
  };
  writeFileSync(file, JSON.stringify(dump, null, 1));
}
