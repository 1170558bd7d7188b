// A small kube-apiserver stand-in for unit tests of what mesh reads from a cluster: plain HTTP on
// 127.0.0.1 (as `kubectl proxy` serves it), answers shaped as kube-apiserver's on the wire (discovery,
// lists, Status errors), a kubeconfig pointing at it, and the requests it saw. Each test says only what
// differs from an empty cluster.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from './silent-server.js';

/** What the fake server answers to one request: a body (JSON, or a string as it is) with a status, or nothing ever. */
export type Answer = { status?: number; body: unknown } | 'hang';

export interface FakeKubeApi {
  url: string;
  kubeconfig: string;
  /** Requests so far, in order (`GET /api/v1/pods`). */
  requests: string[];
  close(): Promise<void>;
}

/** A list answer's body (`cont`: the continue token of a page that has more). */
export const list = (items: unknown, cont?: string) => ({
  kind: 'List',
  apiVersion: 'v1',
  metadata: cont ? { resourceVersion: '1', continue: cont } : { resourceVersion: '1' },
  items,
});

/** A failure as kube-apiserver answers it (a Status object). */
export const status = (code: number, reason: string, message: string): Answer => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

/** `/apis`: the groups served. */
export const groupList = (groups: unknown[]): Answer => ({
  body: { kind: 'APIGroupList', apiVersion: 'v1', groups },
});

/** `/apis/<group>/<version>`: the resources a group version serves. */
export const resourceList = (groupVersion: string, resources: unknown[]): Answer => ({
  body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources },
});

/** The networking.istio.io group, served at v1. */
export const NETWORKING = {
  name: 'networking.istio.io',
  versions: [{ groupVersion: 'networking.istio.io/v1', version: 'v1' }],
  preferredVersion: { groupVersion: 'networking.istio.io/v1', version: 'v1' },
};

/** networking.istio.io/v1 serving these kinds (by plural name), listable. */
export const networkingV1 = (...kinds: Array<[plural: string, kind: string]>): Answer =>
  resourceList(
    'networking.istio.io/v1',
    kinds.map(([name, kind]) => ({ name, kind, namespaced: true, verbs: ['get', 'list'] })),
  );

/**
 * Starts the server: `answer` decides, else discovery serves no group and every list is empty. The
 * kubeconfig's context namespace is `namespace` (`default`). Close it (`close()`) when done.
 */
export async function startFakeKubeApi(
  answer: (path: string, query: URLSearchParams) => Answer | undefined,
  opts: { namespace?: string } = {},
): Promise<FakeKubeApi> {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-fake-kube-api-'));
  const requests: string[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    const a =
      answer(url.pathname, url.searchParams) ??
      (url.pathname === '/apis' ? groupList([]) : { body: list([]) });
    if (a === 'hang') return;
    // a string is sent as it is (what a proxy in front of the server may answer)
    const text = typeof a.body === 'string';
    res.writeHead(a.status ?? 200, { 'content-type': text ? 'text/plain' : 'application/json' });
    res.end(text ? a.body : JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    kubeconfig: writeKubeconfig(dir, 'fake', url, undefined, { namespace: opts.namespace }),
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
