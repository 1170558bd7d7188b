/**
 * A kubeconfig context whose user the kubeconfig does not define (or that names no user): kubectl and
 * istioctl (client-go) go on without credentials, with the cluster's TLS settings. The cluster's
 * certificate-authority was dropped with the user: every request failed on the server's certificate.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLoopbackServingCert } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-no-user-'));
/** The Authorization header of every request (`-` when none). */
const auth: string[] = [];
/** Answer requests without credentials as kube-apiserver does without anonymous access to discovery. */
let denyAnonymous = false;
let server: https.Server;
let url = '';
let kubeconfig = '';

beforeAll(async () => {
  const { certFile, keyFile } = writeLoopbackServingCert(dir, 'server');
  server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    auth.push(req.headers.authorization ?? '-');
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    if (denyAnonymous && !req.headers.authorization) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `forbidden: User "system:anonymous" cannot get path "${path}"`,
          reason: 'Forbidden',
          code: 403,
        }),
      );
      return;
    }
    const body =
      path === '/apis'
        ? { kind: 'APIGroupList', apiVersion: 'v1', groups: [] }
        : { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kubeconfig = join(dir, 'multi.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: testbed',
      `  cluster: {server: "${url}", certificate-authority: "${certFile}"}`,
      'users:',
      '- name: admin',
      '  user: {token: admin-token}',
      'contexts:',
      '- name: admin',
      '  context: {cluster: testbed, user: admin}',
      '- name: nouser',
      '  context: {cluster: testbed, user: ghost}',
      '- name: nouserfield',
      '  context: {cluster: testbed}',
      'current-context: admin',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a context whose user the kubeconfig does not define', () => {
  it.each(['nouser', 'nouserfield'])(
    'context %s: the cluster is read anonymously with its certificate-authority, as kubectl reads it',
    async (context) => {
      auth.length = 0;
      const r = await runCli([
        'analyze',
        '--kubeconfig',
        kubeconfig,
        '--context',
        context,
        '--timeout',
        '20s',
      ]);
      expect(r.stderr).toBe(`✔ No validation issues found when analyzing the cluster at ${url}.\n`);
      expect(r.code).toBe(0);
      expect(auth.length).toBeGreaterThan(0);
      expect(new Set(auth)).toEqual(new Set(['-']));
    },
  );

  it('a server that refuses anonymous requests says so (system:anonymous), not that its certificate is untrusted', async () => {
    denyAnonymous = true;
    try {
      const r = await runCli([
        'analyze',
        '--kubeconfig',
        kubeconfig,
        '--context',
        'nouser',
        '--timeout',
        '20s',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(
        `Error: the Kubernetes API server ${url} failed to discover its API groups (GET /apis): forbidden: User "system:anonymous" cannot get path "/apis"`,
      );
    } finally {
      denyAnonymous = false;
    }
  });

  it("the context's own user still sends its credentials", async () => {
    auth.length = 0;
    const r = await runCli(['analyze', '--kubeconfig', kubeconfig, '--context', 'admin', '--timeout', '20s']);
    expect(r.code).toBe(0);
    expect(new Set(auth)).toEqual(new Set(['Bearer admin-token']));
  });
});
