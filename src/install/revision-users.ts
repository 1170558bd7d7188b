/**
 * Which workloads still point at a control-plane revision: the namespaces whose labels send new pods to
 * that revision's injector, and the pods labelled for it or running a proxy it injected. `mesh uninstall`
 * warns about them before removing the revision. Pure: inputs are the listed objects.
 */
import { selectorMatches } from '../kube/labels.js';
import { STATUS_ANNOTATION } from './inject.js';

const REV = 'istio.io/rev';
const INJECTION = 'istio-injection';

interface Meta {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

interface PodSpec {
  spec?: { containers?: Array<{ name?: string; env?: Array<{ name?: string; value?: string }> }> };
}

/**
 * The istiod Service (`namespace/name`) an injected pod's proxy connects to: the `discoveryAddress` of
 * its `PROXY_CONFIG` (`istiod-canary.istio-system.svc:15012`), else its `CA_ADDR`; undefined when the pod
 * has no proxy or names no in-cluster Service.
 */
export function proxyControlPlane(pod: PodSpec): string | undefined {
  const proxy = pod.spec?.containers?.find((c) => c.name === 'istio-proxy');
  const env = new Map((proxy?.env ?? []).map((e) => [e.name, e.value]));
  let address: unknown;
  try {
    address = (JSON.parse(env.get('PROXY_CONFIG') ?? '{}') as { discoveryAddress?: unknown })
      .discoveryAddress;
  } catch {
    address = undefined;
  }
  if (typeof address !== 'string') address = env.get('CA_ADDR');
  const m = typeof address === 'string' ? /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\b/.exec(address) : null;
  return m ? `${m[2]}/${m[1]}` : undefined;
}

export interface NamespaceUser {
  namespace: string;
  /** The label that selects the revision, as `key=value`. */
  label: string;
}

export interface PodUsers {
  namespace: string;
  /** The namespace's label selecting the revision, when it has one. */
  label?: string;
  count: number;
  /** The first few pod names (sorted). */
  names: string[];
}

export interface RevisionUsers {
  namespaces: NamespaceUser[];
  /** Per namespace: pods labelled for the revision or running a proxy it injected. */
  pods: PodUsers[];
}

/**
 * The label by which a namespace selects `revision` for injection, as the injector webhooks read them:
 * `istio-injection=enabled` selects the default revision and wins over `istio.io/rev`; otherwise
 * `istio.io/rev=<revision>` (or one of its tags) selects it.
 */
export function namespaceSelects(
  labels: Record<string, string> | undefined,
  revision: string,
  aliases: ReadonlySet<string> = new Set([revision]),
): string | undefined {
  const l = labels ?? {};
  if (l[INJECTION] !== undefined)
    return l[INJECTION] === 'enabled' && revision === 'default' ? `${INJECTION}=enabled` : undefined;
  const rev = l[REV];
  return rev !== undefined && aliases.has(rev) ? `${REV}=${rev}` : undefined;
}

/** The revision a pod's injected proxy came from (`sidecar.istio.io/status`), if it has one. */
export function injectedRevision(pod: Meta): string | undefined {
  const st = pod.metadata?.annotations?.[STATUS_ANNOTATION];
  if (st === undefined) return undefined;
  try {
    const parsed = JSON.parse(st) as { revision?: unknown };
    return typeof parsed.revision === 'string' && parsed.revision !== '' ? parsed.revision : 'default';
  } catch {
    return undefined;
  }
}

export interface RevisionUsersInput {
  revision: string;
  /** Revision tags pointing at the revision (`istio.io/rev=<tag>` selects it too). */
  tags?: readonly string[];
  namespaces: readonly Meta[];
  pods: readonly (Meta & PodSpec & { status?: { phase?: string } })[];
  /**
   * Workloads the uninstall removes itself (the revision's istiod and gateways): their pods are not
   * users, they go with it.
   */
  removed?: readonly { kind: string; metadata: { name?: unknown; namespace?: unknown }; spec?: unknown }[];
  /**
   * What of the revision stays (another control plane of it, in another namespace, say): its injector
   * webhooks that keep serving (their namespace and object selectors), and the istiod Services
   * (`namespace/name`) the uninstall deletes. A namespace one of those webhooks still serves loses no
   * injector, and a pod whose proxy connects to an istiod that is not deleted loses no control plane:
   * neither is listed. Absent: everything of the revision goes.
   */
  staying?: {
    injectors: ReadonlyArray<{ namespaceSelector?: unknown; objectSelector?: unknown }>;
    deletedServices: ReadonlySet<string>;
  };
}

const SHOWN_NAMES = 3;
/** istiod's pods (`app: istiod`) are a control plane, never a workload on a revision. */
const isControlPlane = (labels: Record<string, string>) => labels.app === 'istiod';
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

export function revisionUsers(input: RevisionUsersInput): RevisionUsers {
  const aliases = new Set([input.revision, ...(input.tags ?? [])]);
  const nsLabel = new Map<string, string>();
  for (const n of input.namespaces) {
    const label = namespaceSelects(n.metadata?.labels, input.revision, aliases);
    const served = input.staying?.injectors.some((w) =>
      selectorMatches(w.namespaceSelector, n.metadata?.labels ?? {}),
    );
    if (label && n.metadata?.name && !served) nsLabel.set(n.metadata.name, label);
  }
  const injectorStays = (input.staying?.injectors.length ?? 0) > 0;
  const removedSelectors = (input.removed ?? []).flatMap((w) => {
    // Only workloads own pods (a Service's selector is a plain map, not a LabelSelector).
    if (!WORKLOAD_KINDS.has(w.kind)) return [];
    const selector = (w.spec as { selector?: unknown } | undefined)?.selector;
    return selector === undefined ? [] : [{ namespace: w.metadata.namespace, selector }];
  });
  const byNs = new Map<string, string[]>();
  for (const p of input.pods) {
    const ns = p.metadata?.namespace ?? '';
    const labels = p.metadata?.labels ?? {};
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    if (removedSelectors.some((r) => r.namespace === ns && selectorMatches(r.selector, labels))) continue;
    if (isControlPlane(labels)) continue;
    const labelled = labels[REV] !== undefined && aliases.has(labels[REV]);
    const injected = injectedRevision(p);
    if (!labelled && !(injected !== undefined && aliases.has(injected))) continue;
    if (input.staying) {
      // Its proxy's istiod decides; a pod whose istiod is unknown loses the revision when no injector stays.
      const istiod = injected !== undefined ? proxyControlPlane(p) : undefined;
      if (istiod !== undefined ? !input.staying.deletedServices.has(istiod) : injectorStays) continue;
    }
    const list = byNs.get(ns) ?? [];
    list.push(p.metadata?.name ?? '');
    byNs.set(ns, list);
  }
  const pods = [...byNs]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, names]) => {
      const sorted = names.sort();
      const label = nsLabel.get(namespace);
      return {
        namespace,
        ...(label ? { label } : {}),
        count: sorted.length,
        names: sorted.slice(0, SHOWN_NAMES),
      };
    });
  const namespaces = [...nsLabel]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, label]) => ({ namespace, label }));
  return { namespaces, pods };
}

export const hasUsers = (u: RevisionUsers) => u.namespaces.length > 0 || u.pods.length > 0;

/** The warning lines `mesh uninstall` prints (no trailing newline); empty when nothing points at it. */
export function formatRevisionUsers(u: RevisionUsers, revision: string): string {
  if (!hasUsers(u)) return '';
  const lines = [
    `Warning: workloads still point at revision ${revision}. Once it is removed their proxies lose their control plane, and its injector no longer gives new pods a proxy:`,
  ];
  const podsOf = new Map(u.pods.map((p) => [p.namespace, p]));
  const names = [
    ...new Set([...u.namespaces.map((n) => n.namespace), ...u.pods.map((p) => p.namespace)]),
  ].sort();
  const labelOf = new Map(u.namespaces.map((n) => [n.namespace, n.label]));
  for (const ns of names) {
    const p = podsOf.get(ns);
    const label = labelOf.get(ns);
    const pods = p
      ? `${p.count} pod(s) on this revision (${p.names.join(', ')}${p.count > p.names.length ? ', …' : ''})`
      : 'no pods on this revision yet';
    lines.push(`  namespace ${ns}${label ? ` (${label})` : ''}: ${pods}`);
  }
  lines.push(`  Move them first: label the namespaces for another revision and restart their pods.`);
  return lines.join('\n');
}
