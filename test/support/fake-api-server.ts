/**
 * A stand-in Kubernetes API server for precheck, check and uninstall tests: `route` answers each request
 * (status and JSON body); a request it leaves unanswered (undefined) gets the default: an empty List for
 * a path ending in a plural, a 404 Status otherwise. Every request is recorded.
 */
import http from 'node:http';
import { serveWithKubeconfig } from '../../support/silent-server.js';

export interface Answer {
  status: number;
  body: unknown;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

export interface FakeApiServer {
  /** A kubeconfig for the server: context and user "ci". */
  kubeconfig: string;
  /** `METHOD path` (without the query) of every request so far. */
  requests: string[];
  close(): Promise<void>;
}

export const status = (code: number, reason: string, message: string): Answer => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

/** The API server's 403 for user "ci", worded as kube-apiserver words it. */
export function forbidden(
  verb: string,
  resource: string,
  group: string,
  scope: string,
  name?: string,
): Answer {
  return status(
    403,
    'Forbidden',
    `${resource}${group ? `.${group}` : ''}${name ? ` "${name}"` : ''} is forbidden: User "ci" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
  );
}

export const list = (items: unknown[] = []): Answer => ({
  status: 200,
  body: { kind: 'List', apiVersion: 'v1', metadata: {}, items },
});

export async function startFakeApiServer(
  route: (method: string, path: string, query: URLSearchParams) => Answer | undefined,
): Promise<FakeApiServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    const answer =
      route(req.method ?? 'GET', url.pathname, url.searchParams) ??
      (/\/[a-z]+s$/.test(url.pathname)
        ? list()
        : status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  const { kubeconfig, close } = await serveWithKubeconfig(server, 'mesh-fake-api-');
  return {
    kubeconfig,
    requests,
    close,
  };
}
