/**
 * What `mesh certs` and the pod commands say about where they looked: a namespace without proxies is
 * named (as kubectl names it, exit 0), and a proxy that answers slowly is not called unreachable.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';

let kube: FakeKube;
let slow: http.Server;
let silent: http.Server;
const portOf = (s: http.Server) => (s.address() as net.AddressInfo).port;
const listen = async (s: http.Server) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));

beforeAll(async () => {
  const root = makeCa('cluster.local');
  const dump = JSON.stringify(secretsDump({ chain: root.certPem, roots: root.certPem }));
  // a busy proxy: /ready sends its status line at once and its body never; /config_dump answers
  slow = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url?.startsWith('/ready')) return void res.write('LIVE');
    res.end(dump);
  });
  // takes connections, never answers
  silent = http.createServer(() => {});
  await listen(slow);
  await listen(silent);
  kube = await startFakeKube({
    objects: [fakePod('busy-0', 'shop'), fakePod('stuck-0', 'shop')],
    forward: (_ns, pod) => (pod === 'busy-0' ? portOf(slow) : portOf(silent)),
  });
});
afterAll(async () => {
  await kube.close();
  slow.closeAllConnections();
  silent.closeAllConnections();
  await new Promise<void>((r) => slow.close(() => r()));
  await new Promise<void>((r) => silent.close(() => r()));
});

describe('where mesh looked', () => {
  it('certs -n <namespace without proxies> names the namespace (exit 0)', async () => {
    const r = await runCli(['certs', '--kubeconfig', kube.kubeconfig(), '-n', 'nosuchns']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', 'No proxies found in namespace nosuchns.\n']);
    const two = await runCli(['certs', '--kubeconfig', kube.kubeconfig(), '-n', 'a', '-n', 'b']);
    expect([two.code, two.stderr]).toEqual([0, 'No proxies found in namespaces a, b.\n']);
  });

  it('a proxy whose /ready body is slow is reachable: its secrets are read (exit 0)', async () => {
    const r = await runCli([
      'pc',
      'secret',
      'busy-0.shop',
      '--kubeconfig',
      kube.kubeconfig(),
      '--timeout',
      '1s',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^RESOURCE NAME +TYPE +STATUS +VALID CERT/);
  });

  it('a proxy that takes the connection and never answers: said so, not "cannot reach" (exit 1)', async () => {
    const r = await runCli([
      'pc',
      'secret',
      'stuck-0.shop',
      '--kubeconfig',
      kube.kubeconfig(),
      '--timeout',
      '1s',
    ]);
    expect([r.code, r.stderr]).toEqual([
      1,
      'Error: the Envoy admin API of pod stuck-0.shop on port 15000 gave no answer within 1s; the port-forward reported no error, so the proxy may just be busy\n' +
        'Hint: a longer --timeout gives a busy proxy time to answer; else --proxy-admin-port must be the port Envoy admin listens on (15000 for Istio proxies)\n',
    ]);
  });
});
