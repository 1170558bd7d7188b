// `mesh analyze` against a live cluster: the kubeconfig's context, the cluster's objects, and the mesh
// config and mesh networks its control plane runs with.
import { embeddedYamlMap } from '../analyzers/meshconfig.js';
import { unreadableInjectorValues } from '../analyzers/injection/image.js';
import { PRIMARY_CLUSTER, type Resource } from '../manifests/types.js';
import { describeError } from '../util/errors.js';

import { kubeContextFromText, loadKubeContext, type KubeContext } from './config.js';
import { meshConfigMapName, readCluster, type ClusterRead, type RemoteSecret } from './cluster.js';

export interface ClusterInputOptions {
  kubeconfig?: string;
  context?: string;
  istioNamespace: string;
  revision?: string;
  timeoutMs: number;
  /** Deadline of each request to an API server (istioctl's --kubeclient-timeout); 0: none. */
  requestTimeoutMs?: number;
  /**
   * Contexts (of the same kubeconfig) of the mesh's remote clusters, each analyzed with the primary under
   * its context name as cluster ID (istioctl's --remote-contexts). Without them, the remote clusters are
   * those of the control plane's `istio/multiCluster=true` Secrets, as istioctl finds them.
   */
  remoteContexts?: readonly string[];
  /** Without remote contexts: read the remote clusters of the istio/multiCluster Secrets (default true). */
  remoteSecrets?: boolean;
}

/** A remote cluster of a multi-cluster analysis: what was read, or why it could not be. */
export interface RemoteCluster {
  /** Its cluster ID: the context name, or the current context's cluster of the Secret's kubeconfig. */
  id: string;
  /** Where its kubeconfig came from: `context NAME` or `Secret ns/name (key)`. */
  from: string;
  server?: string;
  read?: ClusterRead;
  /** One line: why it was not read (unreachable, credentials rejected, a kubeconfig mesh will not run). */
  error?: string;
}

export interface ClusterInputs extends ClusterRead {
  kube: KubeContext;
  /** The mesh's other clusters, when there are any (multi-cluster analysis). */
  remotes: RemoteCluster[];
  /** `data.mesh` of the control plane's `istio[-<rev>]` ConfigMap, when the cluster has one. */
  meshConfig?: Record<string, any>;
  /** `data.meshNetworks` of the same ConfigMap. */
  meshNetworks?: Record<string, any>;
  /** Why a key of that ConfigMap was not used (not YAML, not a map): the defaults are analyzed instead. */
  configProblems: string[];
}

/**
 * A YAML map held as text in a ConfigMap key; undefined when the key is absent. A value that is not a
 * YAML map is recorded in `problems`, with what is analyzed `instead`.
 */
function yamlMap(
  text: unknown,
  where: string,
  problems: string[],
  instead: string,
): Record<string, any> | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text !== 'string') {
    problems.push(`${where} is not a string: ${instead}`);
    return undefined;
  }
  const { map, problem } = embeddedYamlMap(text);
  if (problem) problems.push(`${where}${problem}: ${instead}`);
  return map;
}

/** The control plane's mesh ConfigMap among the listed objects. */
function meshConfigMap(resources: readonly Resource[], opts: ClusterInputOptions): Resource | undefined {
  return resources.find(
    (r) =>
      r.key === 'core/ConfigMap' &&
      r.namespace === opts.istioNamespace &&
      r.name === meshConfigMapName(opts.revision),
  );
}

export async function readClusterInputs(opts: ClusterInputOptions): Promise<ClusterInputs> {
  const kube = loadKubeContext({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    offline: 'name files or folders to analyze them without a cluster',
  });
  // named contexts are checked before anything is read (an unknown one is an error, as in istioctl)
  const fromContexts: RemoteTarget[] = (opts.remoteContexts ?? []).map((context) => ({
    id: context,
    from: `context ${context}`,
    kube: loadKubeContext({ kubeconfig: opts.kubeconfig, context }),
  }));
  const read = await readCluster(kube, {
    istioNamespace: opts.istioNamespace,
    revision: opts.revision,
    timeoutMs: opts.timeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs,
    remoteSecrets: fromContexts.length === 0 && opts.remoteSecrets !== false,
  });
  const cm = meshConfigMap(read.resources, opts);
  const targets = uniqueIds(fromContexts.length > 0 ? fromContexts : read.remoteSecrets.map(fromSecret));
  read.remoteSecrets.length = 0; // the credentials are held by the targets now, and only there
  const remotes = await Promise.all(
    targets.map(async (t): Promise<RemoteCluster> => {
      if (!('kube' in t)) return t;
      try {
        const remoteRead = await readCluster(t.kube, {
          istioNamespace: opts.istioNamespace,
          revision: opts.revision,
          timeoutMs: opts.timeoutMs,
          requestTimeoutMs: opts.requestTimeoutMs,
          remoteCluster: t.id,
        });
        return { id: t.id, from: t.from, server: t.kube.server, read: remoteRead };
      } catch (err) {
        return { id: t.id, from: t.from, server: t.kube.server, error: describeError(err) };
      }
    }),
  );
  const configProblems: string[] = [];
  const where = `ConfigMap ${cm?.namespace}/${cm?.name} data`;
  return {
    ...read,
    kube,
    remotes,
    meshConfig: yamlMap(
      cm?.body.data?.mesh,
      `${where}.mesh`,
      configProblems,
      'the default mesh config is analyzed instead',
    ),
    meshNetworks: yamlMap(
      cm?.body.data?.meshNetworks,
      `${where}.meshNetworks`,
      configProblems,
      'no mesh networks are analyzed',
    ),
    configProblems: [...configProblems, ...injectorProblems(read.resources, opts.istioNamespace)],
  };
}

/**
 * The sidecar injector ConfigMaps (of every revision) whose `data.values` give no proxy image: IST0158
 * does not check the pods they inject.
 */
function injectorProblems(resources: readonly Resource[], istioNamespace: string): string[] {
  const problems: string[] = [];
  for (const r of resources) {
    const why = unreadableInjectorValues(r, istioNamespace);
    if (why)
      problems.push(
        `ConfigMap ${r.namespace}/${r.name} data.values ${why}: the proxy image checks (IST0158) of the pods it injects are skipped`,
      );
  }
  return problems;
}

/**
 * One cluster per ID: a second kubeconfig naming the same cluster ID, or the primary's (`default`), is not
 * read (its objects would be taken for the other cluster's; istioctl keeps the last one silently).
 */
function uniqueIds(targets: Array<RemoteTarget | RemoteCluster>): Array<RemoteTarget | RemoteCluster> {
  const seen = new Map<string, string>([[PRIMARY_CLUSTER, 'the primary cluster']]);
  return targets.map((t) => {
    const first = seen.get(t.id);
    if (first === undefined) {
      seen.set(t.id, t.from);
      return t;
    }
    const server = 'kube' in t ? t.kube.server : t.server;
    return {
      id: t.id,
      from: t.from,
      ...(server ? { server } : {}),
      error: `cluster ID "${t.id}" is already that of ${first}`,
    };
  });
}

/** A remote cluster to read. */
interface RemoteTarget {
  id: string;
  from: string;
  kube: KubeContext;
}

/**
 * The cluster a remote Secret's kubeconfig names (its current context's cluster is the cluster ID, as
 * istioctl takes it). A kubeconfig that would run a program to get credentials (`exec`, `auth-provider`)
 * is not used: it comes from the cluster, and mesh runs no command a cluster object names.
 */
function fromSecret(s: RemoteSecret): RemoteTarget | RemoteCluster {
  const from = `Secret ${s.secret} (${s.key})`;
  let kube: KubeContext;
  try {
    kube = kubeContextFromText(s.kubeconfig, from);
  } catch (err) {
    return { id: s.key, from, error: describeError(err) };
  }
  const id = kube.kc.getContextObject(kube.contextName)?.cluster ?? s.key;
  const user = kube.kc.getCurrentUser();
  if (user?.exec || user?.authProvider)
    return {
      id,
      from,
      server: kube.server,
      error: `its kubeconfig gets credentials by running ${user.exec ? 'an exec plugin' : 'an auth-provider'}, which mesh does not run`,
    };
  return { id, from, kube };
}
