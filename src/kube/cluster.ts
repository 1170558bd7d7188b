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
} from '@kubernetes/client-node';
import { deadline } from '../util/duration.js';
import { MeshError, describeError, firstLine } from '../util/errors.js';
import { statusMessage } from './api.js';
import { unreachableHint } from './rest.js';
import {
  answerCutError,
  credentialsRejected,
  jsonObject,
  notJsonError,
  notKubernetesError,
  timeoutError,
} from './rest.js';
import { meshHttpLibrary } from './transport.js';
import { withCredentials } from './credentials.js';
import { AnswerCutError } from '../util/http.js';
import type { KubeContext } from './config.js';
import { clusterResource, redactSecret } from './cluster-objects.js';
import { kindKey, type Resource } from '../manifests/types.js';
import { istioKindVersions, isServedIstioKind } from '../manifests/kinds.js';

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

/**
 * A kind the user may not list, or an API group version the user may not discover (`get` of
 * `/apis/<group>/<version>`) or the server failed to serve (an aggregated API whose backend is down): its
 * kinds are unknown, so it stands for every kind of the group.
 */
export interface DeniedKind {
  /** `${group || 'core'}/${kind}`, as analyzers declare inputs; `${group}/*` for a group version. */
  key: string;
  /** The kind; `API discovery` for a group version. */
  kind: string;
  /** `<plural>.<group>`; `<group>/<version>` for a group version. */
  resource: string;
  verb: 'list' | 'get';
  message: string;
  /** The server's failure other than a refusal (403): its HTTP status (a group version's discovery only). */
  failedWith?: number;
  /**
   * An Istio kind mesh knows that the server serves only in versions mesh does not know (a CRD of a newer
   * release that dropped them): those versions. Its objects are not read: without their schema, analyzers
   * would read fields of another shape.
   */
  servedOnly?: string[];
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
      baseServer: new ServerConfiguration(kube.url, {}),
      authMethods: { default: kube.kc },
      httpApi: meshHttpLibrary,
    });
  }

  async get(path: string, query: Record<string, string> = {}): Promise<any> {
    const ctx = this.config.baseServer.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    const limit = { timeoutMs: this.requestTimeoutMs, flag: '--kubeclient-timeout', signal: this.signal };
    await withCredentials(this.kube, limit, async () => {
      await this.config.authMethods.default?.applySecurityAuthentication(ctx);
    });
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
      if (err instanceof AnswerCutError) throw answerCutError(this.kube, err, `GET ${path}`);
      throw err;
    } finally {
      cancel();
      this.signal.removeEventListener('abort', stop);
    }
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299)
      throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
    const body = jsonObject(text);
    if (!body) throw notJsonError(this.kube, `GET ${path}`, response.headers['content-type'], text);
    if (typeof body.kind !== 'string') throw notKubernetesError(this.kube, `GET ${path}`);
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

/** A GET of the read (RawClient.get: the JSON object answered), tracked while in flight. */
type Get = (path: string, query?: Record<string, string>) => Promise<Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Readers of the fields of a JSON answer, which may not have the shape `request` asks for: each returns
 * the field, or throws one error naming the server, the request and the field.
 */
function fieldsOf(kube: KubeContext, request: string, document: string) {
  const malformed = (field: string, problem: string) =>
    new MeshError(
      `the Kubernetes API server ${kube.server} answered ${request} with a malformed ${document}: "${field}" ${problem}`,
      { hint: `check that the server of context "${kube.contextName}" is the cluster's API server` },
    );
  const object = (value: unknown, field: string): Record<string, any> => {
    if (!isObject(value)) throw malformed(field, 'is not an object');
    return value;
  };
  const string = (value: unknown, field: string): string => {
    if (typeof value !== 'string') throw malformed(field, 'is not a string');
    return value;
  };
  return {
    object,
    string,
    /** Missing or null: empty, as client-go decodes it. */
    array(value: unknown, field: string): unknown[] {
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value)) throw malformed(field, 'is not an array');
      return value;
    },
    /** Missing or null: {}. */
    optionalObject: (value: unknown, field: string) =>
      value === undefined || value === null ? {} : object(value, field),
    /** Missing or null: undefined. */
    optionalString: (value: unknown, field: string) =>
      value === undefined || value === null ? undefined : string(value, field),
  };
}

function bodyOf(err: ApiException<unknown>): string {
  return typeof err.body === 'string' ? err.body : JSON.stringify(err.body ?? '');
}

/**
 * The one-line error for a request of the read that the server answered with a failure (but those the
 * read takes in its stride: a failed group version's discovery, 403 and 404 of a list, 410 of a list's
 * continue token), naming what it was for (`purpose`)
 * and the request. Anything else (unreachable, timed out) is left to `fatal`.
 */
function requestFailed(kube: KubeContext, err: unknown, purpose: string, request: string): unknown {
  if (!(err instanceof ApiException)) return err;
  if (err.code === 401) return credentialsRejected(kube);
  const body = bodyOf(err);
  const text = firstLine(body);
  const reason = statusMessage(body) ?? `unexpected status code ${err.code}${text ? `: ${text}` : ''}`;
  return new MeshError(
    `the Kubernetes API server ${kube.server} failed to ${purpose} (${request}): ${reason}`,
    err.code === 403
      ? { hint: `the user of context "${kube.contextName}" lacks the RBAC permission for this` }
      : {},
  );
}

/**
 * Kinds of the discovered groups, each kind once, at one version: of the versions that serve it (the
 * group's preferred first), the first one Istio serves the kind at as mesh knows it (ISTIO_KINDS: its
 * schemas and analyzers), else the preferred one. istioctl reads each kind at the version it was built
 * for: a CRD that adds a newer version (and prefers it) must not turn the kind's schema checks off.
 * A group version the user may not discover (403), or that the server fails to serve (another HTTP
 * status: an aggregated API whose backend is down answers 503), is recorded in `denied` and the rest is
 * read, as kubectl reads the groups it can; one that is gone (404: removed since GET /apis) serves
 * nothing. The answers are read as client-go (kubectl) decodes them: a missing or null `versions` or
 * `verbs` is empty (the group serves nothing, the resource cannot be listed), while a field of another
 * type, a name that is not a string, or an entry that is not an object fails the decoding: a malformed
 * answer ends the read.
 */
async function discover(kube: KubeContext, get: Get, denied: DeniedKind[]): Promise<ListTarget[]> {
  let groupList: Record<string, unknown>;
  try {
    groupList = await get('/apis');
  } catch (err) {
    throw requestFailed(kube, err, 'discover its API groups', 'GET /apis');
  }
  const apis = fieldsOf(kube, 'GET /apis', 'API group list');
  const groups: Array<{ name: string; versions: string[] }> = [];
  apis.array(groupList.groups, 'groups').forEach((value, i) => {
    const g = apis.object(value, `groups[${i}]`);
    const name = apis.string(g.name, `groups[${i}].name`);
    if (!isDiscoveredGroup(name)) return;
    const preferred = isObject(g.preferredVersion) ? g.preferredVersion.version : undefined;
    const versions = apis
      .array(g.versions, `groups[${i}].versions`)
      .map((v, j) =>
        apis.string(
          apis.object(v, `groups[${i}].versions[${j}]`).version,
          `groups[${i}].versions[${j}].version`,
        ),
      )
      .sort((a, b) => Number(b === preferred) - Number(a === preferred));
    groups.push({ name, versions });
  });
  const targets: ListTarget[] = [];
  await pool(groups, 4, async (g) => {
    // per kind, where each version serves it (versions in the group's order)
    const served = new Map<string, ListTarget[]>();
    for (const version of g.versions) {
      const path = `/apis/${g.name}/${version}`;
      let resourceList: Record<string, unknown>;
      try {
        resourceList = await get(path);
      } catch (err) {
        if (!(err instanceof ApiException) || err.code === 401)
          throw requestFailed(kube, err, `discover ${g.name}/${version}`, `GET ${path}`);
        if (err.code !== 404)
          denied.push({
            key: `${g.name}/*`,
            kind: 'API discovery',
            resource: `${g.name}/${version}`,
            verb: 'get',
            message:
              statusMessage(bodyOf(err)) ??
              (firstLine(bodyOf(err)) || (err.code === 403 ? 'forbidden' : `status ${err.code}`)),
            ...(err.code === 403 ? {} : { failedWith: err.code }),
          });
        continue;
      }
      const fields = fieldsOf(kube, `GET ${path}`, 'API resource list');
      fields.array(resourceList.resources, 'resources').forEach((value, i) => {
        const r = fields.object(value, `resources[${i}]`);
        const name = fields.string(r.name, `resources[${i}].name`);
        const kind = fields.string(r.kind, `resources[${i}].kind`);
        const verbs = fields.array(r.verbs, `resources[${i}].verbs`);
        if (name.includes('/') || !verbs.includes('list')) return;
        const at = served.get(kind) ?? [];
        at.push({ group: g.name, version, kind, resource: name, namespaced: r.namespaced === true });
        served.set(kind, at);
      });
    }
    for (const [kind, at] of served) {
      const known = at.find((t) => isServedIstioKind(g.name, t.version, kind));
      if (known || !istioKindVersions(g.name, kind)) {
        // (a kind mesh does not know at all is read where the group prefers: no schema applies to it)
        targets.push(known ?? at[0]!);
        continue;
      }
      denied.push({
        key: `${g.name}/${kind}`,
        kind,
        resource: `${at[0]!.resource}.${g.name}`,
        verb: 'list',
        message: `served only as ${at.map((t) => `${g.name}/${t.version}`).join(', ')}, which mesh does not know; it reads ${istioKindVersions(g.name, kind)!.join(', ')}`,
        servedOnly: at.map((t) => t.version),
      });
    }
  });
  return targets.sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

function listPath(t: ListTarget): string {
  const base = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  return t.namespace ? `${base}/namespaces/${t.namespace}/${t.resource}` : `${base}/${t.resource}`;
}

/** What a read that timed out was waiting for: the requests in flight, at most three named. */
function waitingFor(requests: ReadonlySet<string>): string {
  const named = [...requests].slice(0, 3).join(', ');
  return named ? `waiting for ${named}${requests.size > 3 ? ', …' : ''}` : 'lists';
}

/**
 * The one-line error for a failure that ends the read: a MeshError as it is (a failed request, a
 * malformed answer), the whole read's timeout (`waiting`: what it was waiting for then), or the server
 * unreachable or stopped.
 */
function fatal(kube: KubeContext, err: unknown, timeoutMs: number, waiting: string | undefined): MeshError {
  if (err instanceof MeshError) return err;
  if (waiting !== undefined)
    return new MeshError(
      `timed out after ${timeoutMs / 1000}s reading the cluster from the Kubernetes API server ${kube.server} (${waiting})`,
      { hint: 'raise --timeout, or check the cluster is reachable' },
    );
  return new MeshError(
    `cannot read the cluster from the Kubernetes API server ${kube.server}: ${describeError(err)}`,
    {
      hint: unreachableHint(kube, err),
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
 * Lists everything analysis reads from the cluster. A kind the user may not list, or a group version the
 * user may not discover, is recorded in `denied` (and the rest is read); a kind no longer served (404)
 * is passed over; any other failure, a malformed answer, broken pagination, an unreachable server or the
 * timeout end the read with one MeshError naming the server, and stop the lists still running.
 */
export async function readCluster(kube: KubeContext, opts: ClusterReadOptions): Promise<ClusterRead> {
  const started = Date.now();
  const controller = new AbortController();
  // the requests in flight, named when the whole read times out (discovery as a whole)
  const inFlight = new Set<string>();
  let discovering = true;
  let waiting: string | undefined;
  const cancel = deadline(opts.timeoutMs, () => {
    waiting = discovering ? 'discovery' : waitingFor(inFlight);
    controller.abort();
  }); // 0: no timeout
  const client = new RawClient(kube, controller.signal, opts.requestTimeoutMs);
  const get: Get = async (path, query) => {
    const request = `GET ${path}`;
    inFlight.add(request);
    try {
      return await client.get(path, query);
    } finally {
      inFlight.delete(request);
    }
  };
  const resources: Resource[] = [];
  const denied: DeniedKind[] = [];
  const remoteSecrets: RemoteSecret[] = [];
  let otherRevisions = 0;
  try {
    const builtIn: ListTarget[] = BUILT_IN.filter(
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
    const targets = [...builtIn, ...(await discover(kube, get, denied))];
    discovering = false;
    const pageSize = String(opts.pageSize ?? 500);
    const results = new Map<ListTarget, Resource[]>();
    await pool(targets, opts.concurrency ?? 4, async (t) => {
      const path = listPath(t);
      const request = `GET ${path}`;
      const resource = t.group ? `${t.resource}.${t.group}` : t.resource;
      const apiVersion = t.group ? `${t.group}/${t.version}` : t.version;
      const fields = fieldsOf(kube, request, 'list');
      const tokens = new Set<string>();
      // what the list gives, kept only once it is whole (a 410 starts it again)
      let out: Resource[] = [];
      let secrets: RemoteSecret[] = [];
      let skipped = 0;
      let cont: string | undefined;
      // after a 410: the whole list in one answer, as client-go's pager falls back to
      let whole = false;
      for (;;) {
        let page: Record<string, unknown>;
        try {
          page = await get(path, {
            ...(whole ? {} : { limit: pageSize }),
            ...(cont ? { continue: cont } : {}),
          });
        } catch (err) {
          // the continue token outlived etcd's compaction (410 Expired): the pages read so far are of a
          // version that is gone, so the list starts again, whole
          if (err instanceof ApiException && err.code === 410 && cont !== undefined && !whole) {
            [out, secrets, skipped, cont, whole] = [[], [], 0, undefined, true];
            continue;
          }
          if (err instanceof ApiException && err.code === 403) {
            denied.push({
              key: `${t.group || 'core'}/${t.kind}`,
              kind: t.kind,
              resource,
              verb: 'list',
              message: statusMessage(bodyOf(err)) ?? 'forbidden',
            });
            return;
          }
          // its CRD was deleted since discovery: the kind is not served any more
          if (err instanceof ApiException && err.code === 404) return;
          throw requestFailed(kube, err, `list ${resource}`, request);
        }
        const items = fields.array(page.items, 'items');
        for (let i = 0; i < items.length; i++) {
          const item = fields.object(items[i], `items[${i}]`);
          const labels = fields.optionalObject(item.metadata, `items[${i}].metadata`).labels;
          if (t.kind === 'Secret') {
            if (opts.remoteSecrets)
              for (const secret of remoteSecretsOf(item, opts.istioNamespace)) secrets.push(secret);
            redactSecret(item);
          }
          if (t.keep && !t.keep(item)) continue;
          if (!inRevision(kindKey(t.group, t.kind), labels, opts.revision)) {
            skipped++;
            continue;
          }
          out.push(clusterResource(item, apiVersion, t.kind, opts.remoteCluster));
        }
        const metadata = fields.optionalObject(page.metadata, 'metadata');
        cont = fields.optionalString(metadata.continue, 'metadata.continue') || undefined;
        if (cont === undefined) break;
        if (tokens.has(cont))
          throw new MeshError(
            `the Kubernetes API server ${kube.server} returned the same continue token twice for ${request}: its pagination is broken`,
          );
        tokens.add(cont);
      }
      for (const secret of secrets) remoteSecrets.push(secret);
      otherRevisions += skipped;
      results.set(t, out);
    });
    // one push per object: spreading a kind's list into one call overflows the stack from ~125,000
    for (const t of targets) for (const r of results.get(t) ?? []) resources.push(r);
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
    const error = fatal(kube, err, opts.timeoutMs, waiting);
    controller.abort(); // the lists still running stop at once
    throw error;
  } finally {
    cancel();
  }
}
