/**
 * --as, --as-group, --as-uid reach the API server on every request path mesh has: client-node's typed
 * clients (pod reads), its fetch transport (analyze's lists), mesh's own requests (precheck, install) and
 * the port-forward upgrade. The real API server's answer to impersonation is in test/e2e (port-forward,
 * analyze-cluster); here a recording server shows the headers each path sends.
 */
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const seen: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
const server = http.createServer((req, res) => {
  seen.push({ path: req.url ?? '', headers: req.headers });
  res.writeHead(403, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'forbidden', code: 403 }),
  );
});
let kubeconfig = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  kubeconfig = join(mkdtempSync(join(tmpdir(), 'mesh-as-')), 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: 'http://127.0.0.1:${port}'}}]`,
      'users: [{name: u, user: {token: admin-token}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
});
afterAll(() => server.close());

const AS = ['--as', 'jane', '--as-group', 'devs', '--as-uid', '42'];

describe('impersonation headers', () => {
  it('every request of every path carries them, next to the kubeconfig user’s own credentials', async () => {
    for (const args of [
      ['pc', 'cluster', 'catalog-0'], // typed client
      ['analyze', '-A'], // client-node's fetch transport
      ['precheck'], // mesh's own requests
      ['certs', '-n', 'shop'],
      [
        'kube-inject',
        '-f',
        'examples/bookinfo/20-deployments.yaml',
        '--injectConfigMapName',
        'istio-sidecar-injector',
      ],
    ]) {
      seen.length = 0;
      const r = await runCli([...args, '--kubeconfig', kubeconfig, '--timeout', '5s', ...AS]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(seen.length, args.join(' ')).toBeGreaterThan(0);
      for (const { path, headers } of seen) {
        expect(
          [headers['impersonate-user'], headers['impersonate-group'], headers['impersonate-uid']],
          `${args.join(' ')}: ${path}`,
        ).toEqual(['jane', 'devs', '42']);
        expect(headers.authorization).toBe('Bearer admin-token');
      }
    }
  });

  it('without the flags, no impersonation header is sent (nor left over from an earlier run)', async () => {
    await runCli(['certs', '-n', 'shop', '--kubeconfig', kubeconfig, ...AS]);
    seen.length = 0;
    await runCli(['certs', '-n', 'shop', '--kubeconfig', kubeconfig]);
    expect(seen.length).toBeGreaterThan(0);
    for (const { headers } of seen) expect(headers['impersonate-user']).toBeUndefined();
  });
});
