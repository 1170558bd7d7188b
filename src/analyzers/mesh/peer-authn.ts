import type { Resource } from '../../manifests/types.js';
import { isEmptyLabels } from '../../kube/labels.js';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET';

export function mtlsMode(pa: Resource): MtlsMode {
  const m = pa.spec?.mtls?.mode;
  return m === 'STRICT' || m === 'PERMISSIVE' || m === 'DISABLE' ? m : 'UNSET';
}

/** True for a PeerAuthentication that applies to a whole namespace (no selector). */
export function isNamespaceWide(pa: Resource): boolean {
  return isEmptyLabels(pa.spec?.selector?.matchLabels);
}

/** The mesh-wide PeerAuthentication: namespace-wide and in the mesh root namespace. */
export function meshWidePolicy(pas: readonly Resource[], rootNamespace: string): Resource | undefined {
  return pas.find((pa) => pa.namespace === rootNamespace && isNamespaceWide(pa));
}

/** The namespace-wide PeerAuthentication of a namespace (the oldest wins in Istio; inputs have no age). */
export function namespacePolicy(pas: readonly Resource[], namespace: string): Resource | undefined {
  return pas.find((pa) => pa.namespace === namespace && isNamespaceWide(pa));
}

export function refOf(r: Resource): string {
  return `${r.namespace}/${r.name}`;
}
