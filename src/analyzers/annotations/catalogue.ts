/**
 * The Istio annotation catalogue (istio/api annotation/annotations.yaml): key, feature status, deprecated
 * flag and the kinds of object the annotation belongs on (`Any` = every kind). Data only, converted from
 * ../shared/conformance/istio-analyze/annotations.json (istio/api @ b8f8791, 2026-07-21);
 * test/unit/analyzers/annotations-catalogue.test.ts fails when the two drift apart.
 */
export interface AnnotationDef {
  name: string;
  /** Alpha, Beta, Stable, or "" when the catalogue gives none. */
  featureStatus: string;
  deprecated: boolean;
  resources: readonly string[];
}

type Row = [name: string, featureStatus: string, deprecated: boolean, resources: string[]];

const ROWS: Row[] = [
  ['alpha.istio.io/canonical-serviceaccounts', 'Alpha', true, ['Service']],
  ['alpha.istio.io/kubernetes-serviceaccounts', 'Alpha', true, ['Service']],
  ['ambient.istio.io/bypass-inbound-capture', 'Alpha', false, ['Pod']],
  ['ambient.istio.io/dns-capture', 'Alpha', false, ['Pod']],
  ['ambient.istio.io/redirection', 'Beta', false, ['Pod']],
  ['ambient.istio.io/waypoint-inbound-binding', 'Alpha', false, ['GatewayClass', 'Gateway']],
  ['galley.istio.io/analyze-suppress', 'Alpha', false, ['Any']],
  ['gateway.istio.io/controller-version', 'Alpha', false, ['Any']],
  ['gateway.istio.io/name-override', 'Alpha', false, ['Gateway']],
  ['gateway.istio.io/service-account', 'Alpha', false, ['Gateway']],
  ['inject.istio.io/templates', 'Alpha', false, ['Pod']],
  ['istio.io/autoRegistrationGroup', 'Alpha', false, ['WorkloadEntry']],
  ['istio.io/connectedAt', 'Alpha', false, ['WorkloadEntry']],
  ['istio.io/disconnectedAt', 'Alpha', false, ['WorkloadEntry']],
  ['istio.io/dry-run', 'Alpha', false, ['AuthorizationPolicy']],
  ['istio.io/reroute-virtual-interfaces', 'Alpha', false, ['Pod']],
  ['istio.io/rev', 'Alpha', false, ['Pod']],
  ['istio.io/use-waypoint-canary-weight', 'Alpha', false, ['Service', 'ServiceEntry', 'Namespace']],
  ['istio.io/workloadController', 'Alpha', false, ['WorkloadEntry']],
  ['kubernetes.io/ingress.class', 'Stable', false, ['Ingress']],
  ['networking.istio.io/exportTo', 'Alpha', false, ['Service']],
  ['networking.istio.io/service-type', 'Alpha', false, ['Gateway']],
  ['networking.istio.io/traffic-distribution', 'Alpha', false, ['Namespace', 'Service', 'ServiceEntry']],
  ['prometheus.istio.io/merge-metrics', 'Alpha', false, ['Pod']],
  ['proxy.istio.io/config', 'Beta', false, ['Pod']],
  ['proxy.istio.io/overrides', 'Alpha', false, ['Pod']],
  ['readiness.status.sidecar.istio.io/applicationPorts', 'Alpha', false, ['Pod']],
  ['readiness.status.sidecar.istio.io/failureThreshold', 'Alpha', false, ['Pod']],
  ['readiness.status.sidecar.istio.io/initialDelaySeconds', 'Alpha', false, ['Pod']],
  ['readiness.status.sidecar.istio.io/periodSeconds', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/agentLogLevel', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/bootstrapOverride', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/componentLogLevel', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/discoveryAddress', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/extraStatTags', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/inject', 'Beta', true, ['Pod']],
  ['sidecar.istio.io/interceptionMode', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/logLevel', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/nativeSidecar', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyCPU', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyCPULimit', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyImage', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyImageType', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyMemory', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/proxyMemoryLimit', '', false, ['Pod']],
  ['sidecar.istio.io/rewriteAppHTTPProbers', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/statsCompression', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/statsEvictionInterval', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/statsFlushInterval', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/statsHistogramBins', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/statsHistogramBuckets', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/statsInclusionPrefixes', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/statsInclusionRegexps', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/statsInclusionSuffixes', 'Alpha', true, ['Pod']],
  ['sidecar.istio.io/status', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/userVolume', 'Alpha', false, ['Pod']],
  ['sidecar.istio.io/userVolumeMount', '', false, ['Pod']],
  ['status.sidecar.istio.io/port', 'Alpha', false, ['Pod']],
  ['topology.istio.io/controlPlaneClusters', 'Alpha', false, ['Namespace']],
  ['traffic.istio.io/nodeSelector', 'Stable', false, ['Service']],
  ['traffic.sidecar.istio.io/excludeInboundPorts', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/excludeInterfaces', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/excludeOutboundIPRanges', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/excludeOutboundPorts', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/includeInboundPorts', '', false, ['Pod']],
  ['traffic.sidecar.istio.io/includeOutboundIPRanges', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/includeOutboundPorts', 'Alpha', false, ['Pod']],
  ['traffic.sidecar.istio.io/kubevirtInterfaces', 'Alpha', true, ['Pod']],
];

/** Keys the analyzers never report on: Istio itself writes them onto objects. */
export const ALWAYS_IGNORED: ReadonlySet<string> = new Set([
  'sidecar.istio.io/status',
  'gateway.istio.io/controller-version',
  'istio.io/rev',
]);

export const ANNOTATIONS: ReadonlyMap<string, AnnotationDef> = new Map(
  ROWS.map(([name, featureStatus, deprecated, resources]) => [
    name,
    { name, featureStatus, deprecated, resources },
  ]),
);
