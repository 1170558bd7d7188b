import type { Resource } from '../manifests/types.js';
import { CLUSTER_SCOPED, IGNORED_NAMESPACES } from '../manifests/kinds.js';
import { K, type Workload } from './types.js';

export interface SnapshotOptions {
  /** Namespace given to namespaced documents that carry none; undefined keeps them namespace-less (-A). */
  defaultNamespace: string | undefined;
  istioNamespace: string;
  meshConfig: Record<string, any>;
  meshNetworks: Record<string, any>;
  /** Add the default ingress gateway Pod and Service that a default install has (as istioctl does). */
  defaultIngress: boolean;
  /**
   * Conformance harness mode (upstream analyzer tests): analyzers that are stricter offline than upstream
   * (e.g. requiring Services before reporting missing hosts) behave exactly like upstream instead.
   */
  harness?: boolean;
}

export interface Duplicate {
  kept: Resource;
  replaced: Resource;
}

const WORKLOAD_KINDS = new Set([K.Deployment, K.StatefulSet, K.DaemonSet, K.ReplicaSet, K.Job]);

/** An indexed, namespace-resolved view of the inputs that analyzers read. */
export class Snapshot {
  readonly byKey = new Map<string, Resource[]>();
  private readonly index = new Map<string, Resource>();
  private readonly present = new Set<string>();
  readonly duplicates: Duplicate[] = [];
  private workloadList: Workload[] | undefined;

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
    const id = `${r.key}|${namespace ?? ''}|${r.name}`;
    const prev = this.index.get(id);
    if (prev) {
      const list = this.byKey.get(r.key)!;
      list[list.indexOf(prev)] = r;
      this.duplicates.push({ kept: r, replaced: prev });
    } else {
      let list = this.byKey.get(r.key);
      if (!list) this.byKey.set(r.key, (list = []));
      list.push(r);
    }
    this.index.set(id, r);
    if (!synthetic) this.present.add(r.key);
  }

  private addSynthetic(): void {
    const ns = this.opts.istioNamespace;
    const synth = (
      apiVersion: string,
      kind: string,
      group: string,
      name: string,
      namespace: string,
      body: any,
    ) => {
      const r: Resource = {
        apiVersion,
        group,
        version: apiVersion.split('/').pop()!,
        kind,
        key: `${group || 'core'}/${kind}`,
        name,
        namespace,
        metadata: body.metadata ?? { name, namespace },
        spec: body.spec,
        body: { apiVersion, kind, ...body },
        origin: { file: '', docIndex: -1, line: 0, column: 0 },
      };
      if (!this.index.has(`${r.key}|${namespace}|${name}`)) this.add(r, true);
    };
    synth('mesh.istio.io/v1alpha1', 'MeshConfig', 'mesh.istio.io', 'meshconfig', ns, {
      spec: this.opts.meshConfig,
    });
    synth('mesh.istio.io/v1alpha1', 'MeshNetworks', 'mesh.istio.io', 'meshnetworks', ns, {
      spec: this.opts.meshNetworks,
    });
    if (this.opts.defaultIngress && this.opts.meshConfig.ingressControllerMode !== 'OFF') {
      const svcName = String(this.opts.meshConfig.ingressService ?? 'istio-ingressgateway');
      const labels = { istio: 'ingressgateway' };
      synth('v1', 'Pod', '', `${svcName}-dummypod`, ns, {
        metadata: { name: `${svcName}-dummypod`, namespace: ns, labels },
        spec: { containers: [{ name: 'istio-proxy' }] },
      });
      synth('v1', 'Service', '', svcName, ns, {
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
    return this.index.get(`${key}|${namespace}|${name}`);
  }

  has(key: string): boolean {
    return this.present.has(key);
  }

  all(): Resource[] {
    return [...this.byKey.values()].flat();
  }

  workloads(): readonly Workload[] {
    if (this.workloadList) return this.workloadList;
    const out: Workload[] = [];
    for (const [key, list] of this.byKey) {
      if (key === K.Pod) {
        for (const r of list)
          out.push({
            kind: 'Pod',
            name: r.name,
            namespace: r.namespace ?? '',
            labels: strMap(r.metadata.labels),
            annotations: strMap(r.metadata.annotations),
            podSpec: r.spec ?? {},
            resource: r,
            isPod: true,
          });
      } else if (WORKLOAD_KINDS.has(key as any)) {
        for (const r of list) {
          const tpl = r.spec?.template;
          if (!tpl || typeof tpl !== 'object') continue;
          out.push({
            kind: r.kind,
            name: r.name,
            namespace: r.namespace ?? '',
            labels: strMap(tpl.metadata?.labels),
            annotations: strMap(tpl.metadata?.annotations),
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

export function strMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>))
    out[k] = x === null || x === undefined ? '' : String(x);
  return out;
}
