import { newResource, type Resource } from '../manifests/types.js';
import { CLUSTER_SCOPED, IGNORED_NAMESPACES } from '../manifests/kinds.js';
import { K, WORKLOAD_INPUTS, type Workload } from './types.js';
import { labelMap } from '../kube/labels.js';
import { text } from '../util/values.js';

export interface SnapshotOptions {
  /** Namespace given to namespaced documents that carry none; undefined keeps them namespace-less (-A). */
  defaultNamespace: string | undefined;
  istioNamespace: string;
  meshConfig: Record<string, any>;
  meshNetworks: Record<string, any>;
  /** Add the default ingress gateway Pod and Service that a default install has (as istioctl does). */
  defaultIngress: boolean;
}

export interface Duplicate {
  kept: Resource;
  replaced: Resource;
}

const WORKLOAD_KINDS = new Set(WORKLOAD_INPUTS.filter((k) => k !== K.Pod));

/**
 * Kinds each cluster of a mesh has its own objects of (istioctl's per-cluster stores): same-named ones of
 * two clusters are two objects. Every other kind (Istio configuration, Gateway API, ServiceAccounts, …) is
 * the mesh's one configuration: a remote cluster's object whose kind, namespace and name were already read
 * (from the primary, or an earlier remote cluster) is that object again, and is not analyzed twice.
 */
const PER_CLUSTER_KINDS = new Set<string>([K.Service, K.Namespace, K.Node, K.Pod, K.Secret]);

/** An indexed, namespace-resolved view of the inputs that analyzers read. */
export class Snapshot {
  readonly byKey = new Map<string, Resource[]>();
  /** Kind key → namespace ('' for none) → name → resource. */
  private readonly index = new Map<string, Map<string, Map<string, Resource>>>();
  private readonly present = new Set<string>();
  readonly duplicates: Duplicate[] = [];
  /** Remote clusters' configuration objects whose kind, namespace and name were read before (see PER_CLUSTER_KINDS). */
  readonly shadowed: Resource[] = [];
  private workloadList: Workload[] | undefined;
  private allList: Resource[] | undefined;
  /** Kind key → namespace → resources, built per kind on first use. */
  private readonly byNamespace = new Map<string, Map<string, Resource[]>>();
  private workloadsByNamespace: Map<string, Workload[]> | undefined;
  private runningList: Workload[] | undefined;
  private runningByNamespace: Map<string, Workload[]> | undefined;
  private readonly sharedValues = new Map<unknown, unknown>();

  constructor(
    inputs: readonly Resource[],
    readonly opts: SnapshotOptions,
  ) {
    for (const r of inputs) this.add(r, false);
    this.addSynthetic();
  }

  private add(input: Resource, synthetic: boolean): void {
    let namespace: string | undefined;
    if (CLUSTER_SCOPED.has(input.key)) namespace = undefined;
    else namespace = input.namespace ?? this.opts.defaultNamespace;
    if (namespace !== undefined && IGNORED_NAMESPACES.has(namespace)) return;
    if (input.key === K.Namespace && IGNORED_NAMESPACES.has(input.name)) return;
    const r: Resource = namespace === input.namespace ? input : { ...input, namespace };
    const names = this.namesIn(r.key, namespace ?? '');
    const prev = names.get(r.name);
    if (prev && prev.origin.clusterName !== r.origin.clusterName) {
      if (!PER_CLUSTER_KINDS.has(r.key)) {
        this.shadowed.push(r);
        return;
      }
      // the same object in another cluster of the mesh: both are analyzed (each() lists both), and
      // get() keeps answering with the first (the primary cluster's, which is read first)
      this.byKey.get(r.key)!.push(r);
      if (!synthetic) this.present.add(r.key);
      return;
    }
    if (prev) {
      const list = this.byKey.get(r.key)!;
      list[list.indexOf(prev)] = r;
      this.duplicates.push({ kept: r, replaced: prev });
    } else {
      let list = this.byKey.get(r.key);
      if (!list) this.byKey.set(r.key, (list = []));
      list.push(r);
    }
    names.set(r.name, r);
    if (!synthetic) this.present.add(r.key);
  }

  private namesIn(key: string, namespace: string): Map<string, Resource> {
    let byNs = this.index.get(key);
    if (!byNs) this.index.set(key, (byNs = new Map()));
    let names = byNs.get(namespace);
    if (!names) byNs.set(namespace, (names = new Map()));
    return names;
  }

  private addSynthetic(): void {
    const ns = this.opts.istioNamespace;
    const synth = (apiVersion: string, kind: string, name: string, namespace: string, body: any) => {
      const r = newResource({
        apiVersion,
        kind,
        name,
        namespace,
        metadata: body.metadata ?? { name, namespace },
        spec: body.spec,
        body: { apiVersion, kind, ...body },
        origin: { file: '', docIndex: -1, line: 0, column: 0 },
      });
      if (!this.get(r.key, namespace, name)) this.add(r, true);
    };
    synth('mesh.istio.io/v1alpha1', 'MeshConfig', 'meshconfig', ns, {
      spec: this.opts.meshConfig,
    });
    synth('mesh.istio.io/v1alpha1', 'MeshNetworks', 'meshnetworks', ns, {
      spec: this.opts.meshNetworks,
    });
    if (this.opts.defaultIngress && this.opts.meshConfig.ingressControllerMode !== 'OFF') {
      const svcName = text(this.opts.meshConfig.ingressService ?? 'istio-ingressgateway');
      const labels = { istio: 'ingressgateway' };
      synth('v1', 'Pod', `${svcName}-dummypod`, ns, {
        metadata: { name: `${svcName}-dummypod`, namespace: ns, labels },
        spec: { containers: [{ name: 'istio-proxy' }] },
      });
      synth('v1', 'Service', svcName, ns, {
        metadata: { name: svcName, namespace: ns },
        spec: {
          selector: labels,
          ports: [
            { name: 'http2', port: 80, targetPort: 80, protocol: 'TCP' },
            { name: 'https', port: 443, targetPort: 443, protocol: 'TCP' },
            { name: 'tcp', port: 31400, targetPort: 31400, protocol: 'TCP' },
            { name: 'tls', port: 15443, targetPort: 15443, protocol: 'TCP' },
          ],
        },
      });
    }
  }

  each(key: string): readonly Resource[] {
    return this.byKey.get(key) ?? [];
  }

  get(key: string, namespace: string, name: string): Resource | undefined {
    return this.index.get(key)?.get(namespace)?.get(name);
  }

  has(key: string): boolean {
    return this.present.has(key);
  }

  eachIn(key: string, namespace: string): readonly Resource[] {
    let byNs = this.byNamespace.get(key);
    if (!byNs) {
      byNs = groupBy(this.each(key), (r) => r.namespace ?? '');
      this.byNamespace.set(key, byNs);
    }
    return byNs.get(namespace) ?? [];
  }

  all(): readonly Resource[] {
    return (this.allList ??= [...this.byKey.values()].flat());
  }

  workloadsIn(namespace: string): readonly Workload[] {
    this.workloadsByNamespace ??= groupBy(this.workloads(), (w) => w.namespace);
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /**
   * The pods a cluster runs, or will once the files over it are applied: its Pods, and the pod templates
   * that come from files (a cluster's own templates are what its pods already show).
   */
  running(): readonly Workload[] {
    return (this.runningList ??= this.workloads().filter((w) => w.isPod || !w.resource.origin.cluster));
  }

  runningIn(namespace: string): readonly Workload[] {
    this.runningByNamespace ??= groupBy(this.running(), (w) => w.namespace);
    return this.runningByNamespace.get(namespace) ?? [];
  }

  /** The value `build` derives from the inputs, built once (see `AnalysisContext.shared`). */
  shared<C, T>(build: (ctx: C) => T, ctx: C): T {
    if (this.sharedValues.has(build)) return this.sharedValues.get(build) as T;
    const value = build(ctx);
    this.sharedValues.set(build, value);
    return value;
  }

  workloads(): readonly Workload[] {
    if (this.workloadList) return this.workloadList;
    const out: Workload[] = [];
    for (const key of this.byKey.keys()) {
      const list = this.byKey.get(key)!;
      if (key === K.Pod) {
        for (const r of list)
          out.push({
            kind: 'Pod',
            name: r.name,
            namespace: r.namespace ?? '',
            labels: labelMap(r.metadata.labels),
            annotations: labelMap(r.metadata.annotations),
            podSpec: r.spec ?? {},
            resource: r,
            isPod: true,
          });
      } else if (WORKLOAD_KINDS.has(key)) {
        for (const r of list) {
          const tpl = r.spec?.template;
          if (!tpl || typeof tpl !== 'object') continue;
          out.push({
            kind: r.kind,
            name: r.name,
            namespace: r.namespace ?? '',
            labels: labelMap(tpl.metadata?.labels),
            annotations: labelMap(tpl.metadata?.annotations),
            podSpec: tpl.spec ?? {},
            resource: r,
            isPod: false,
          });
        }
      }
    }
    this.workloadList = out;
    return out;
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}
