/**
 * A stand-in Kubernetes API server that stores objects, enough for `mesh install` and `mesh uninstall`
 * end to end: GET of an object or a collection (all namespaces, one namespace, cluster-scoped; with a
 * label selector), server-side apply (PATCH, `fieldManager`, `force`, `dryRun=All`: maps merged, lists
 * replaced, the manager's Apply entry recorded in managedFields), POST, PUT and DELETE (with a UID
 * precondition). Applied CRDs are Established, Namespaces Active and Deployments ready at once. A
 * request `hang` selects is read and never answered; `intercept` plays another client or a lossy network,
 * and `strictPut` checks a PUT's resourceVersion as the API server does.
 */
import http from 'node:http';
import { serveWithKubeconfig } from '../../support/silent-server.js';
import { selectorMatches } from '../../support/port-forward-server.js';

export interface StoreApiServer {
  kubeconfig: string;
  /** `METHOD path?query` of every request so far. */
  requests: string[];
  /** The stored object at `plural/ns/name` (`plural//name` when cluster-scoped). */
  get(plural: string, namespace: string | undefined, name: string): any | undefined;
  /** Stores an object as another client would create it (its manager's Update entry). */
  put(plural: string, obj: any, manager?: string): void;
  /** Deletes a stored object, as another client would. */
  remove(plural: string, namespace: string | undefined, name: string): void;
  /** Every stored `plural/ns/name`. */
  keys(): string[];
  close(): Promise<void>;
}

const key = (plural: string, ns: string | undefined, name: string) => `${plural}/${ns ?? ''}/${name}`;

function merge(live: any, applied: any): any {
  if (!live || typeof live !== 'object' || Array.isArray(live)) return structuredClone(applied);
  if (!applied || typeof applied !== 'object' || Array.isArray(applied)) return structuredClone(applied);
  const out: any = { ...live };
  for (const [k, v] of Object.entries(applied)) out[k] = merge(live[k], v);
  return out;
}

/** What the controllers would report at once: CRDs Established, Namespaces Active, Deployments ready. */
function withStatus(o: any): any {
  if (o.kind === 'CustomResourceDefinition')
    o.status = { conditions: [{ type: 'Established', status: 'True' }] };
  if (o.kind === 'Namespace') o.status = { phase: 'Active' };
  if (o.kind === 'Deployment') {
    const n = o.spec?.replicas ?? 1;
    o.metadata.generation = 1;
    o.status = {
      observedGeneration: 1,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
    };
  }
  return o;
}

/** What `intercept` makes of a request: an answer in its place, or its answer lost. */
export type Intercepted = { status: number; body: unknown } | 'drop';

export async function startStoreApiServer(
  opts: {
    /** `plural/ns/name` whose apply without force gets a 409 naming this other manager's field. */
    conflicts?: Record<string, string>;
    /** Requests (`METHOD path`, without the query) left unanswered, as a hung API server leaves them. */
    hang?: (request: string) => boolean;
    /**
     * Called with each request (`METHOD path?query`) and its body before it is handled
     * (awaited): it may change the store as another client would meanwhile, return an answer given in
     * the request's place, or return 'drop': the request is handled, but its answer lost (the connection
     * closed without one).
     */
    intercept?: (request: string, body: any) => Intercepted | undefined | Promise<Intercepted | undefined>;
    /**
     * PUT as the API server handles it: a metadata.resourceVersion other than the stored one gets 409
     * Conflict, and a PUT of an object not there creates it (201, as for a Lease). Otherwise a PUT
     * always replaces, answered 200.
     */
    strictPut?: boolean;
  } = {},
): Promise<StoreApiServer> {
  const store = new Map<string, any>();
  const requests: string[] = [];
  let uid = 0;
  let rv = 0;
  /** Answers handled but never sent (intercept's 'drop'). */
  const dropped = new WeakSet<http.ServerResponse>();
  const send = (res: http.ServerResponse, code: number, body: unknown) => {
    if (dropped.has(res)) return void res.socket?.destroy();
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, code: number, reason: string, message: string) =>
    send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
  const stamp = (o: any) => {
    o.metadata.uid ??= `uid-${++uid}`;
    o.metadata.resourceVersion = String(++rv);
    o.metadata.creationTimestamp ??= '2026-01-01T00:00:00Z';
    return o;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      if (opts.hang?.(`${req.method} ${url.pathname}`)) return;
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const intercepted = await opts.intercept?.(`${req.method} ${url.pathname}${url.search}`, body);
      if (intercepted === 'drop') dropped.add(res);
      else if (intercepted) return send(res, intercepted.status, intercepted.body);
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
      let ns: string | undefined;
      let plural: string;
      let name: string | undefined;
      if (rest[0] === 'namespaces' && rest.length >= 3)
        [, ns, plural, name] = rest as [string, string, string, string | undefined];
      else [plural, name] = rest as [string, string | undefined];
      if (!plural) return fail(res, 404, 'NotFound', 'the server could not find the requested resource');
      const k = name === undefined ? '' : key(plural, ns, name);
      const live = name === undefined ? undefined : store.get(k);
      switch (req.method) {
        case 'GET': {
          if (name !== undefined)
            return live ? send(res, 200, live) : fail(res, 404, 'NotFound', `${plural} "${name}" not found`);
          const selector = url.searchParams.get('labelSelector') ?? '';
          const items = [...store.entries()]
            .filter(([key]) => {
              const [p, n] = key.split('/');
              return p === plural && (ns === undefined || n === ns);
            })
            .map(([, o]) => o)
            .filter((o) => selectorMatches(selector, o.metadata?.labels ?? {}));
          return send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: {}, items });
        }
        case 'PATCH': {
          const manager = url.searchParams.get('fieldManager') ?? 'unknown';
          const force = url.searchParams.get('force') === 'true';
          const conflict = opts.conflicts?.[k];
          if (live && conflict && !force)
            return fail(res, 409, 'Conflict', `Apply failed with 1 conflict: ${conflict}`);
          const merged = withStatus(merge(live, body));
          const fields = (live?.metadata?.managedFields ?? []).filter(
            (f: any) => !(f.manager === manager && f.operation === 'Apply'),
          );
          merged.metadata.managedFields = [...fields, { manager, operation: 'Apply' }];
          if (url.searchParams.get('dryRun') === 'All') return send(res, 200, merged);
          store.set(k, stamp(merged));
          return send(res, live ? 200 : 201, merged);
        }
        case 'POST': {
          const n = body?.metadata?.name as string;
          const kk = key(plural, ns, n);
          if (store.has(kk)) return fail(res, 409, 'AlreadyExists', `${plural} "${n}" already exists`);
          store.set(kk, stamp(structuredClone(body)));
          return send(res, 201, store.get(kk));
        }
        case 'PUT': {
          const want = body?.metadata?.resourceVersion;
          if (opts.strictPut && live && want && want !== live.metadata.resourceVersion)
            return fail(
              res,
              409,
              'Conflict',
              `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            );
          const replaced = stamp(structuredClone(body));
          if (opts.strictPut && live) replaced.metadata.uid = live.metadata.uid;
          store.set(k, replaced);
          return send(res, opts.strictPut && !live ? 201 : 200, replaced);
        }
        case 'DELETE': {
          if (!live) return fail(res, 404, 'NotFound', `${plural} "${name}" not found`);
          const want = body?.preconditions?.uid;
          if (want && want !== live.metadata.uid)
            return fail(res, 409, 'Conflict', 'Precondition failed: UID in precondition does not match');
          store.delete(k);
          return send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
        }
      }
      fail(res, 405, 'MethodNotAllowed', 'method not allowed');
    });
  });
  const { kubeconfig, close } = await serveWithKubeconfig(server, 'mesh-store-api-');
  return {
    kubeconfig,
    requests,
    get: (plural, namespace, name) => store.get(key(plural, namespace, name)),
    put: (plural, obj, manager = 'kubectl-create') => {
      const o = stamp(structuredClone(obj));
      o.metadata.managedFields = [{ manager, operation: 'Update' }];
      store.set(key(plural, o.metadata.namespace, o.metadata.name), o);
    },
    remove: (plural, namespace, name) => void store.delete(key(plural, namespace, name)),
    keys: () => [...store.keys()].sort(),
    close,
  };
}
