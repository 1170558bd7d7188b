/**
 * A stand-in Kubernetes API server for unit tests of what mesh reads from and writes to a cluster (analyze's
 * reads, precheck, check, uninstall): plain HTTP on 127.0.0.1 (as `kubectl proxy` serves it), answers
 * shaped as kube-apiserver's on the wire (discovery, lists, Status errors), a kubeconfig pointing at it,
 * and the requests it saw. `route` answers each request (status and body: JSON, or a string sent as it
 * is; or `'hang'`: never); a request it leaves unanswered (undefined) gets the default: an empty group
 * list for `/apis`, an empty List for a path ending in a plural, a 404 Status otherwise.
 */
import http from 'node:http';
import { serveWithKubeconfig } from './silent-server.js';

/** An answer with its status (200 unless given). */
export interface Reply {
  status?: number;
  body: unknown;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/** What the server answers a request: a reply, or nothing ever (`'hang'`). */
export type Answer = Reply | 'hang';

/** A reply whose status is set (what the helpers below build). */
type Full = Reply & { status: number };

export interface FakeApiServer {
  url: string;
  /** A kubeconfig for the server: context and user "ci", the context's namespace as asked (`default`). */
  kubeconfig: string;
  /** `METHOD path` (without the query) of every request so far. */
  requests: string[];
  close(): Promise<void>;
}

export const status = (code: number, reason: string, message: string): Full => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

/** The API server's 403 for user "ci", worded as kube-apiserver words it. */
export function forbidden(verb: string, resource: string, group: string, scope: string, name?: string): Full {
  return status(
    403,
    'Forbidden',
    `${resource}${group ? `.${group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "ci" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
  );
}

/** A List (`cont`: the continue token of a page that has more; `items` as given, even malformed). */
export const list = (items: unknown = [], cont?: string): Full => ({
  status: 200,
  body: {
    kind: 'List',
    apiVersion: 'v1',
    metadata: cont ? { resourceVersion: '1', continue: cont } : { resourceVersion: '1' },
    items,
  },
});

/** `/apis`: the groups served. */
export const groupList = (groups: unknown[]): Full => ({
  status: 200,
  body: { kind: 'APIGroupList', apiVersion: 'v1', groups },
});

/** `/apis/<group>/<version>`: the resources a group version serves. */
export const resourceList = (groupVersion: string, resources: unknown[]): Full => ({
  status: 200,
  body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources },
});

/** The networking.istio.io group, served at v1. */
export const NETWORKING = {
  name: 'networking.istio.io',
  versions: [{ groupVersion: 'networking.istio.io/v1', version: 'v1' }],
  preferredVersion: { groupVersion: 'networking.istio.io/v1', version: 'v1' },
};

/** networking.istio.io/v1 serving these kinds (plural name, kind), listable. */
export const networkingV1 = (...kinds: Array<[plural: string, kind: string]>): Full =>
  resourceList(
    'networking.istio.io/v1',
    kinds.map(([name, kind]) => ({ name, kind, namespaced: true, verbs: ['get', 'list'] })),
  );

export async function startFakeApiServer(
  route: (method: string, path: string, query: URLSearchParams) => Answer | undefined,
  opts: { namespace?: string } = {},
): Promise<FakeApiServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    const answer =
      route(req.method ?? 'GET', url.pathname, url.searchParams) ??
      (url.pathname === '/apis'
        ? groupList([])
        : /\/[a-z]+s$/.test(url.pathname)
          ? list()
          : status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    if (answer === 'hang') return;
    const text = typeof answer.body === 'string';
    res.writeHead(answer.status ?? 200, {
      'content-type': text ? 'text/plain' : 'application/json',
      ...answer.headers,
    });
    res.end(text ? answer.body : JSON.stringify(answer.body));
  });
  const { url, kubeconfig, close } = await serveWithKubeconfig(server, 'mesh-fake-api-', opts.namespace);
  return { url, kubeconfig, requests, close };
}
