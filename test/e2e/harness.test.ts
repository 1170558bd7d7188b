// Checks that the harness is honest: a real Kubernetes 1.37 API server with RBAC, reachable only on
// loopback, answering plain HTTPS as well as @kubernetes/client-node.
import { VersionApi } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { describe, expect, inject, it } from 'vitest';
import { clientsFor, serverMessage } from './support/kube.js';
import { listeningSockets } from './support/sockets.js';
import { freePort, withPortRetry } from './support/testbed.js';

const testbed = inject('testbed');

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, testbed.server), { ca: readFileSync(testbed.caFile) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('testbed', () => {
  it('is a real kube-apiserver reporting version 1.37', async () => {
    const raw = await rawGet('/version');
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.body)).toMatchObject({ major: '1', minor: '37', gitVersion: 'v1.37.2' });

    const version = await clientsFor(testbed.kubeconfig).kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.37.2');
  });

  it('lists the namespaces the API server creates itself', async () => {
    const { core } = clientsFor(testbed.kubeconfig);
    const names = (await core.listNamespace()).items.map((ns) => ns.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']),
    );
  });

  it('enforces RBAC: a user without grants is refused with the server message', async () => {
    const { core } = clientsFor(testbed.restrictedKubeconfig);
    const err = await core.listNamespace().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(serverMessage(err)).toContain('User "mesh-e2e-user" cannot list resource "namespaces"');
  });

  it('rejects anonymous requests for resources', async () => {
    const raw = await rawGet('/api/v1/namespaces');
    expect(raw.status).toBe(403);
  });

  it('listens on loopback only', () => {
    const listeners = listeningSockets(Object.values(testbed.pids));
    expect(listeners.map((l) => l.port)).toContain(Number(new URL(testbed.server).port));
    expect(listeners.filter((l) => l.address !== '127.0.0.1')).toEqual([]);
  });

  it('hands servers ports below the ephemeral range, where outbound connections never land', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    for (let i = 0; i < 20; i++) expect(await freePort()).toBeLessThan(Number(low));
  });

  it('starts a server again when another process bound its port first, and only then', async () => {
    const attempts: number[] = [];
    const started = await withPortRetry(async (attempt) => {
      attempts.push(attempt);
      if (attempt === 1)
        throw new Error('etcd exited: listen tcp 127.0.0.1:45071: bind: address already in use');
      return 'ready';
    });
    expect({ started, attempts }).toEqual({ started: 'ready', attempts: [1, 2] });

    let tries = 0;
    const other = await withPortRetry(async () => {
      tries++;
      throw new Error('etcd exited: permission denied');
    }).catch((e: Error) => e.message);
    expect({ other, tries }).toEqual({ other: 'etcd exited: permission denied', tries: 1 });
  });
});
