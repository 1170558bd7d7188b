// `mesh analyze` against a live cluster: the kubeconfig's context, the cluster's objects, and the mesh
// config and mesh networks its control plane runs with.
import jsYaml from 'js-yaml';
import type { Resource } from '../manifests/types.js';
import { loadKubeContext, type KubeContext } from './config.js';
import { controlPlaneConfigMap, readCluster, type ClusterRead } from './cluster.js';

export interface ClusterInputOptions {
  kubeconfig?: string;
  context?: string;
  istioNamespace: string;
  revision?: string;
  timeoutMs: number;
}

export interface ClusterInputs extends ClusterRead {
  kube: KubeContext;
  /** `data.mesh` of the control plane's `istio[-<rev>]` ConfigMap, when the cluster has one. */
  meshConfig?: Record<string, any>;
  /** `data.meshNetworks` of the same ConfigMap. */
  meshNetworks?: Record<string, any>;
}

function yamlMap(text: unknown): Record<string, any> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA });
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

/** The control plane's mesh ConfigMap among the listed objects. */
function meshConfigMap(resources: readonly Resource[], opts: ClusterInputOptions): Resource | undefined {
  return resources.find(
    (r) =>
      r.key === 'core/ConfigMap' &&
      r.namespace === opts.istioNamespace &&
      controlPlaneConfigMap(r.name, opts.revision) &&
      !r.name.startsWith('istio-sidecar-injector'),
  );
}

export async function readClusterInputs(opts: ClusterInputOptions): Promise<ClusterInputs> {
  const kube = loadKubeContext({ kubeconfig: opts.kubeconfig, context: opts.context });
  const read = await readCluster(kube, {
    istioNamespace: opts.istioNamespace,
    revision: opts.revision,
    timeoutMs: opts.timeoutMs,
  });
  const cm = meshConfigMap(read.resources, opts);
  return {
    ...read,
    kube,
    meshConfig: yamlMap(cm?.body.data?.mesh),
    meshNetworks: yamlMap(cm?.body.data?.meshNetworks),
  };
}
