// Reads what `mesh analyze` needs from a live cluster: discovery of the served Istio and Gateway API kinds,
// then paginated, bounded-concurrency lists through @kubernetes/client-node's transport (its auth, TLS and
// fetch). Objects come back as the API server's JSON, so analyzers see the same shapes as in files.
import {
  ApiException,
  HttpMethod,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type ResponseContext,
  type V1APIGroup,
} from '@kubernetes/client-node';
import { deadline } from '../util/duration.js';
import { MeshError, describeError } from '../util/errors.js';
import { apiStatusError, fetchReason, statusMessage } from './api.js';
import { jsonObject, notJsonError, timeoutError } from './rest.js';
import type { KubeContext } from './config.js';
import { clusterResource, redactSecret } from './cluster-objects.js';
import { kindKey, type Resource } from '../manifests/types.js';

/** One kind to list: where it is served and whether it is namespaced. */
export interface ListTarget {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name (the URL segment). */
  resource: string;
  namespaced: boolean;
  /** Only objects of this namespace (ConfigMaps: only the control plane's are read). */
  namespace?: string;
  /** Keep only the listed items this accepts. */
  keep?: (item: any) => boolean;
}

/** A kind the user may not list. */
export interface DeniedKind {
  /** `${group || 'core'}/${kind}`, as analyzers declare inputs. */
  key: string;
  kind: string;
  resource: string;
  verb: 'list';
  message: string;
}

export interface ClusterRead {
  server: string;
  resources: Resource[];
  denied: DeniedKind[];
  /** Objects not read because they are labelled for another control plane revision. */
  otherRevisions: number;
  /** Kinds listed (in order). */
  listed: ListTarget[];
  /** Wall time of discovery and lists, in milliseconds. */
  listMs: number;
  /** Remote clusters' kubeconfigs found in the control plane's Secrets (with `remoteSecrets` only). */
  remoteSecrets: RemoteSecret[];
  /** List requests made (pages). */
  requests: number;
}

export interface ClusterReadOptions {
  istioNamespace: string;
  /** Revision of the control plane analyzed: objects labelled `istio.io/rev` for another are not read. */
  revision?: string;
  timeoutMs: number;
  /** Deadline of each request (istioctl's --kubeclient-timeout); 0 or none: only the whole read's. */
  requestTimeoutMs?: number;
  /** Items per list page (the API server's `limit`). */
  pageSize?: number;
  /** Lists in flight at once. */
  concurrency?: number;
  /**
   * A remote cluster of a multi-cluster mesh, by its cluster ID: its objects carry the ID, and the kinds
   * only the primary's analysis needs (Deployments, ConfigMaps, webhook configurations) are not read.
   */
  remoteCluster?: string;
  /** Keep the kubeconfigs of the control plane's remote-cluster Secrets (`remoteSecrets`) before redaction. */
  remoteSecrets?: boolean;
}

/** The kubeconfig of a remote cluster, from a Secret of the control plane labelled `istio/multiCluster=true`. */
export interface RemoteSecret {
  /** `<namespace>/<name>` of the Secret. */
  secret: string;
  /** Its data key (istiod names it after the cluster). */
  key: string;
  /** The decoded kubeconfig: credentials, held in memory only and never printed. */
  kubeconfig: string;
}

/** Kinds not read from a remote cluster (as istioctl's multi-cluster analysis). */
const NOT_READ_REMOTELY = new Set([
  'Deployment',
  'ConfigMap',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);

export const MULTICLUSTER_SECRET_LABEL = 'istio/multiCluster';

/**
 * Built-in kinds analyzers read (served by every API server at these versions). Endpoints and
 * EndpointSlices are not among them: no analyzer (here or in istioctl) reads endpoint data, and they are
 * the largest lists of a big cluster.
 */
const BUILT_IN: Array<Omit<ListTarget, 'namespace' | 'keep'>> = [
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'MutatingWebhookConfiguration',
    resource: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    kind: 'ValidatingWebhookConfiguration',
    resource: 'validatingwebhookconfigurations',
    namespaced: false,
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    resource: 'customresourcedefinitions',
    namespaced: false,
  },
];

/**
 * Kinds read whatever `istio.io/rev` label they carry. Every other object labelled for another control plane
 * revision than the one analyzed (`--revision`, default `default`) belongs to that revision and is not read,
 * as istioctl's cluster analysis (and istiod) do.
 */
const ALL_REVISIONS = new Set([
  'core/Service',
  'core/Namespace',
  'core/Node',
  'core/Pod',
  'core/Secret',
  'gateway.networking.k8s.io/Gateway',
]);

/** Whether an object of `key` with these labels belongs to the analyzed revision (no label: every one). */
export function inRevision(key: string, labels: unknown, revision: string | undefined): boolean {
  if (ALL_REVISIONS.has(key)) return true;
  const rev = (labels as Record<string, unknown> | undefined)?.['istio.io/rev'];
  return rev === undefined || rev === (revision || 'default');
}

/** API groups whose every served kind is read: Istio's and the Gateway API's. */
export function isDiscoveredGroup(group: string): boolean {
  return group === 'istio.io' || group.endsWith('.istio.io') || group === 'gateway.networking.k8s.io';
}

/**
 * The ConfigMaps of the control plane's namespace that analysis reads, as istioctl: those named `istio…`
 * (mesh config and sidecar injector of every revision: IST0158 compares a revision's pods with its own
 * injector), except leader-election records.
 */
export function istioConfigMap(item: any): boolean {
  const meta = item?.metadata;
  return (
    String(meta?.name ?? '').startsWith('istio') &&
    meta?.annotations?.['control-plane.alpha.kubernetes.io/leader'] === undefined
  );
}

/** The name of a revision's mesh config ConfigMap: `istio`, or `istio-<rev>`. */
export function meshConfigMapName(revision: string | undefined): string {
  return revision && revision !== 'default' ? `istio-${revision}` : 'istio';
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** A GET through client-node's configuration (auth, TLS agent, fetch); JSON body or an ApiException. */
class RawClient {
  readonly config: Configuration;
  requests = 0;

  constructor(
    private readonly kube: KubeContext,
    /** The whole read's deadline (and the end of the read on a failure elsewhere). */
    private readonly signal: AbortSignal,
    private readonly requestTimeoutMs = 0,
  ) {
    this.config = createConfiguration({
      baseServer: new ServerConfiguration(kube.server, {}),
      authMethods: { default: kube.kc },
    });
  }

  async get(path: string, query: Record<string, string> = {}): Promise<any> {
    const ctx = this.config.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    await this.config.authMethods.default?.applySecurityAuthentication(ctx);
    // aborted by the whole read's deadline, or by this request's own
    const request = new AbortController();
    const stop = () => request.abort();
    if (this.signal.aborted) stop();
    this.signal.addEventListener('abort', stop, { once: true });
    let late = false;
    const cancel = deadline(this.requestTimeoutMs, () => {
      late = true;
      stop();
    });
    ctx.setSignal(request.signal);
    this.requests++;
    let response: ResponseContext;
    let text: string;
    try {
      response = await this.config.httpApi.send(ctx).toPromise();
      text = await response.body.text();
    } catch (err) {
      if (late && !this.signal.aborted)
        throw timeoutError(this.kube, this.requestTimeoutMs, `GET ${path}`, '--kubeclient-timeout');
      throw err;
    } finally {
      cancel();
      this.signal.removeEventListener('abort', stop);
    }
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299)
      throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
    const body = jsonObject(text);
    if (!body) throw notJsonError(this.kube, `GET ${path}`, response.headers['content-type'], text);
    return body;
  }
}

/** Runs `work` over `items` with at most `limit` in flight; the first failure rejects. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(runners);
}

/** Kinds of the discovered groups: each kind once, from the group's preferred version first. */
async function discover(client: RawClient): Promise<ListTarget[]> {
  // Through client.get like every list, so the --timeout deadline covers it too.
  const groupList = (await client.get('/apis')) as { groups?: V1APIGroup[] };
  const groups = (groupList.groups ?? []).filter((g) => isDiscoveredGroup(g.name));
  const targets: ListTarget[] = [];
  await pool(groups, 4, async (g) => {
    const preferred = g.preferredVersion?.version;
    const versions = g.versions
      .map((v) => v.version)
      .sort((a, b) => Number(b === preferred) - Number(a === preferred));
    const seen = new Set<string>();
    for (const version of versions) {
      const list = (await client.get(`/apis/${g.name}/${version}`)) as { resources?: ApiResource[] };
      for (const r of list.resources ?? []) {
        if (r.name.includes('/') || !r.verbs.includes('list') || seen.has(r.kind)) continue;
        seen.add(r.kind);
        targets.push({ group: g.name, version, kind: r.kind, resource: r.name, namespaced: r.namespaced });
      }
    }
  });
  return targets.sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

function listPath(t: ListTarget): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return t.namespace ? `${base}/namespaces/${t.namespace}/${t.resource}` : `${base}/${t.resource}`;
}

/** The one-line error for a failure that ends the read (server unreachable, stopped, or timed out). */
function fatal(
  kube: KubeContext,
  err: unknown,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
): MeshError {
  if (err instanceof MeshError) return err;
  if (signal.aborted)
    return new MeshError(
      `timed out after ${timeoutMs / 1000}s reading the cluster from the Kubernetes API server ${kube.server} (${what})`,
      { hint: 'raise --timeout, or check the cluster is reachable' },
    );
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? err.body : JSON.stringify(err.body ?? '');
    const e = apiStatusError(kube, err.code, body, what);
    if (e.message.includes(kube.server)) return e;
    return new MeshError(`the Kubernetes API server ${kube.server} failed: ${e.message}`, { hint: e.hint });
  }
  return new MeshError(
    `cannot read the cluster from the Kubernetes API server ${kube.server}: ${describeError(fetchReason(err))}`,
    {
      hint: `check that the cluster of context "${kube.contextName}" is up and reachable`,
      cause: err,
    },
  );
}

/** The kubeconfigs a control plane's multi-cluster Secret holds (one per data key), before it is redacted. */
function remoteSecretsOf(item: any, istioNamespace: string): RemoteSecret[] {
  const meta = item?.metadata;
  if (meta?.namespace !== istioNamespace || meta?.labels?.[MULTICLUSTER_SECRET_LABEL] !== 'true') return [];
  const data = item.data && typeof item.data === 'object' ? item.data : {};
  return Object.keys(data)
    .filter((key) => typeof data[key] === 'string')
    .map((key) => ({
      secret: `${meta.namespace}/${meta.name}`,
      key,
      kubeconfig: Buffer.from(data[key], 'base64').toString('utf8'),
    }));
}

/**
 * Lists everything analysis reads from the cluster. A kind the user may not list is recorded in `denied`
 * (and the rest is read); any other failure, an unreachable server or the timeout end the read with one
 * MeshError naming the server.
 */
export async function readCluster(kube: KubeContext, opts: ClusterReadOptions): Promise<ClusterRead> {
  const started = Date.now();
  const controller = new AbortController();
  const cancel = deadline(opts.timeoutMs, () => controller.abort()); // 0: no timeout
  const client = new RawClient(kube, controller.signal, opts.requestTimeoutMs);
  const resources: Resource[] = [];
  const denied: DeniedKind[] = [];
  const remoteSecrets: RemoteSecret[] = [];
  let otherRevisions = 0;
  let what = 'discovery';
  try {
    const targets: ListTarget[] = BUILT_IN.filter(
      (t) => !opts.remoteCluster || !NOT_READ_REMOTELY.has(t.kind),
    ).map((t) =>
      t.kind === 'ConfigMap'
        ? {
            ...t,
            namespace: opts.istioNamespace,
            keep: istioConfigMap,
          }
        : { ...t },
    );
    targets.push(...(await discover(client)));
    const pageSize = String(opts.pageSize ?? 500);
    const results = new Map<ListTarget, Resource[]>();
    await pool(targets, opts.concurrency ?? 4, async (t) => {
      const path = listPath(t);
      const apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
      const out: Resource[] = [];
      let cont: string | undefined;
      do {
        what = `GET ${path}`;
        let page: { items?: any[]; metadata?: { continue?: string } };
        try {
          page = await client.get(path, cont ? { limit: pageSize, continue: cont } : { limit: pageSize });
        } catch (err) {
          if (err instanceof ApiException && err.code === 403) {
            const body = typeof err.body === 'string' ? err.body : '';
            denied.push({
              key: `${t.group || 'core'}/${t.kind}`,
              kind: t.kind,
              resource: t.group ? `${t.resource}.${t.group}` : t.resource,
              verb: 'list',
              message: statusMessage(body) ?? 'forbidden',
            });
            return;
          }
          throw err;
        }
        for (const item of page.items ?? []) {
          if (t.kind === 'Secret') {
            if (opts.remoteSecrets) remoteSecrets.push(...remoteSecretsOf(item, opts.istioNamespace));
            redactSecret(item);
          }
          if (t.keep && !t.keep(item)) continue;
          if (!inRevision(kindKey(t.group, t.kind), item?.metadata?.labels, opts.revision)) {
            otherRevisions++;
            continue;
          }
          out.push(clusterResource(item, apiVersion, t.kind, opts.remoteCluster));
        }
        cont = page.metadata?.continue || undefined;
      } while (cont);
      results.set(t, out);
    });
    for (const t of targets) resources.push(...(results.get(t) ?? []));
    denied.sort((a, b) => a.key.localeCompare(b.key));
    return {
      server: kube.server,
      resources,
      denied,
      otherRevisions,
      listed: targets,
      listMs: Date.now() - started,
      requests: client.requests,
      remoteSecrets,
    };
  } catch (err) {
    throw fatal(kube, err, opts.timeoutMs, controller.signal, what);
  } finally {
    cancel();
  }
}
