import { stringifyForKube } from './kube-yaml.js';
import type { K8sObject, RenderedComponent } from './render.js';

/**
 * Ordering and printing of rendered objects. The order is istioctl's (install.md §1.1): CRDs first (with the
 * install Namespace right after them, since everything namespaced needs it), then ServiceAccounts and
 * ClusterRoles, ClusterRoleBindings, ValidatingWebhookConfigurations, ConfigMaps and Secrets, everything
 * else, HorizontalPodAutoscalers, and Services last; ties broken by API group, kind, namespace, name.
 */
const KIND_RANK: Record<string, number> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  ServiceAccount: 2,
  ClusterRole: 2,
  ClusterRoleBinding: 3,
  ValidatingWebhookConfiguration: 4,
  ConfigMap: 5,
  Secret: 5,
  HorizontalPodAutoscaler: 7,
  Service: 8,
};
const OTHER_RANK = 6;

export const groupOf = (o: K8sObject) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '');

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function compareObjects(a: K8sObject, b: K8sObject): number {
  return (
    (KIND_RANK[a.kind] ?? OTHER_RANK) - (KIND_RANK[b.kind] ?? OTHER_RANK) ||
    cmp(groupOf(a), groupOf(b)) ||
    cmp(a.kind, b.kind) ||
    cmp(String(a.metadata.namespace ?? ''), String(b.metadata.namespace ?? '')) ||
    cmp(String(a.metadata.name), String(b.metadata.name))
  );
}

export function sortObjects(objects: readonly K8sObject[]): K8sObject[] {
  return [...objects].sort(compareObjects);
}

/** Multi-document YAML of `objects` in the order above; the same objects always give the same bytes. */
export function toYaml(objects: readonly K8sObject[]): string {
  return sortObjects(objects)
    .map((o) => stringifyForKube(o, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

/** One YAML text per component (file name `<Component>.yaml`), for `manifest generate -o DIR`. */
export function componentFiles(
  components: readonly RenderedComponent[],
): Array<{ file: string; text: string }> {
  return components.map((c) => ({ file: `${c.component}.yaml`, text: toYaml(c.objects) }));
}

/** `kind/namespace/name` of an object, how mesh names objects in messages and plans. */
export function objectRef(o: { kind: string; metadata: { name?: unknown; namespace?: unknown } }): string {
  const ns = o.metadata.namespace ? `${String(o.metadata.namespace)}/` : '';
  return `${o.kind}/${ns}${String(o.metadata.name)}`;
}
