/** Istio kinds and the API versions each is served in (what the CRDs of a current release serve). */
export const ISTIO_KINDS: Record<string, Record<string, string[]>> = {
  'networking.istio.io': {
    VirtualService: ['v1', 'v1beta1', 'v1alpha3'],
    DestinationRule: ['v1', 'v1beta1', 'v1alpha3'],
    Gateway: ['v1', 'v1beta1', 'v1alpha3'],
    ServiceEntry: ['v1', 'v1beta1', 'v1alpha3'],
    Sidecar: ['v1', 'v1beta1', 'v1alpha3'],
    WorkloadEntry: ['v1', 'v1beta1', 'v1alpha3'],
    WorkloadGroup: ['v1', 'v1beta1', 'v1alpha3'],
    EnvoyFilter: ['v1alpha3'],
    ProxyConfig: ['v1beta1'],
  },
  'security.istio.io': {
    AuthorizationPolicy: ['v1', 'v1beta1'],
    PeerAuthentication: ['v1', 'v1beta1'],
    RequestAuthentication: ['v1', 'v1beta1'],
  },
  'telemetry.istio.io': {
    Telemetry: ['v1', 'v1alpha1'],
  },
  'extensions.istio.io': {
    WasmPlugin: ['v1alpha1'],
    TrafficExtension: ['v1alpha1'],
  },
};

export function isIstioGroup(group: string): boolean {
  return group.endsWith('istio.io');
}

/** ISTIO_KINDS as maps (group → kind → versions), for the per-object lookup. */
const SERVED = new Map(
  Object.entries(ISTIO_KINDS).map(([group, kinds]) => [group, new Map(Object.entries(kinds))]),
);

/** True for a kind and version Istio serves (what `istioKindProblem` accepts, without building a reason). */
export function isServedIstioKind(group: string, version: string, kind: string): boolean {
  return SERVED.get(group)?.get(kind)?.includes(version) ?? false;
}

/** The versions Istio serves a kind in, as mesh knows them; undefined for a kind mesh does not know. */
export function istioKindVersions(group: string, kind: string): readonly string[] | undefined {
  return SERVED.get(group)?.get(kind);
}

/** Returns undefined when the kind/version is a served Istio kind, else a reason. */
export function istioKindProblem(group: string, version: string, kind: string): string | undefined {
  const kinds = SERVED.get(group);
  if (!kinds) return `unknown Istio API group ${group}`;
  const versions = kinds.get(kind);
  if (!versions) return `unknown kind ${kind} in ${group} (known: ${[...kinds.keys()].join(', ')})`;
  if (!versions.includes(version))
    return `${kind} is not served as ${group}/${version} (served versions: ${versions.join(', ')})`;
  return undefined;
}

/** Kinds without a namespace. */
export const CLUSTER_SCOPED = new Set([
  'core/Namespace',
  'core/Node',
  'core/PersistentVolume',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'gateway.networking.k8s.io/GatewayClass',
  'apiregistration.k8s.io/APIService',
]);

/** Kubernetes kinds mesh knows about (so they are not reported as unknown with --verbose). */
export const KNOWN_K8S_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'gateway.networking.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'certificates.k8s.io',
  'apiregistration.k8s.io',
]);

/**
 * Kubernetes' own namespaces (and kind's local storage), which Istio never analyzes, never injects and
 * keeps out of `enableNamespacesByDefault` (its IgnoredNamespaces).
 */
export const IGNORED_NAMESPACES = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
]);
