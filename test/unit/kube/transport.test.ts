// Every request mesh makes to an API server, through each of its clients (client-node's typed clients:
// pc, certs, drift; analyze's lists; the REST client of install/check/precheck; the TokenRequest of
// proxy-status), against a stand-in that misbehaves on the wire as a broken server or proxy does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeRest } from '../../../src/kube/rest.js';
import { loadKubeContext } from '../../../src/kube/config.js';
import { runCli } from '../../support/cli.js';
import { writeKubeconfig } from '../../support/silent-server.js';

type Mode = 'cut' | 'empty-object' | 'gzip' | 'whoami';
let mode: Mode = 'cut';
const server = http.createServer((req, res) => {
  req.resume();
  if (mode === 'cut') {
    // declares 1,000 bytes, sends 9, closes: node-fetch never settled on this
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"kind":"');
    setTimeout(() => req.socket.destroy(), 20);
  } else if (mode === 'empty-object') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  } else if (mode === 'whoami') {
    // the credentials the request carried, as the name of the object answered
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Namespace', metadata: { name: req.headers.authorization ?? 'none' } }));
  } else {
    const body = gzipSync(
      JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'zipped' } }),
    );
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(body);
  }
});
let url = '';
let dir = '';
let kubeconfig = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'mesh-transport-'));
  kubeconfig = writeKubeconfig(dir, 'wire', url);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const cutLine = (what: string) =>
  `Error: the Kubernetes API server ${url} closed the connection after 9 bytes of the answer (${what})`;

describe('an answer cut short (Content-Length not delivered), with no deadline to end the wait', () => {
  // Before, the read never settled: in-process the test timed out; as a process, mesh exited 0 silently.
  it.each([
    [['pc', 'cluster', 'web', '--timeout', '0'], 'GET /api/v1/namespaces/default/pods/web'],
    [['certs', '--timeout', '0', '-o', 'json'], 'GET /api/v1/namespaces/default/pods'],
    [['analyze', '--timeout', '0', '--kubeclient-timeout', '0', '-o', 'json'], 'GET /apis'],
    [['precheck', '--timeout', '0'], undefined],
    [
      ['proxy-status', '--xds-address', '127.0.0.1:1', '--timeout', '0'],
      'POST /api/v1/namespaces/istio-system/serviceaccounts/default/token',
    ],
  ])('mesh %s: one error naming the server and the request, exit 1', async (args, what) => {
    mode = 'cut';
    const r = await runCli([...args, '--kubeconfig', kubeconfig]);
    if (what) {
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').slice(0, 2)).toEqual([
        cutLine(what),
        'Hint: the server, or a proxy in between, cut the answer short: retry, and check its logs',
      ]);
    } else {
      // precheck reports each check; each that read the server names the cut
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`closed the connection after 9 bytes of the answer`);
    }
  });
});

describe('a success answer that is JSON but no Kubernetes object ({} for everything)', () => {
  // Before: analyze said "No validation issues found" (exit 0), install planned nothing to do, the
  // others failed with "undefined" or "items is not iterable" in their message.
  it.each([
    [['analyze', '-A'], 'GET /apis'],
    [['pc', 'cluster', 'web'], 'GET /api/v1/namespaces/default/pods/web'],
    [['certs'], 'GET /api/v1/namespaces/default/pods'],
    [['install', '--dry-run'], 'GET /apis/apps/v1/namespaces/istio-system/deployments/istiod'],
  ])('mesh %s: refused, naming the request', async (args, what) => {
    mode = 'empty-object';
    const r = await runCli([...args, '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Error: the Kubernetes API server ${url} answered ${what} with a JSON object that is not a Kubernetes object or list (it has no "kind")\n`,
    );
    expect(r.stdout).not.toContain('No validation issues found');
  });
});

it('a gzip answer is read inflated (mesh asks for gzip, as kubectl does)', async () => {
  mode = 'gzip';
  const rest = new KubeRest(loadKubeContext({ kubeconfig }), 5000);
  const res = await rest.request('GET', '/api/v1/namespaces/zipped');
  expect(res.body.metadata.name).toBe('zipped');
});

describe('credentials', () => {
  const withUser = (user: string, server = url) => {
    const file = join(dir, `kc-${Math.random().toString(36).slice(2)}`);
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: x',
        `clusters: [{name: c, cluster: {server: "${server}"}}]`,
        `users: [{name: u, user: ${user}}]`,
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
      ].join('\n'),
    );
    return file;
  };
  const plugin = (script: string) =>
    `{exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: ["-c", ${JSON.stringify(script)}], interactiveMode: Never}}`;

  // A plugin waiting for a login nobody sees held every command past its timeout, forever.
  it.each([
    [['pc', 'cluster', 'web', '--timeout', '1s'], '--timeout'],
    [['analyze', '-A', '--kubeclient-timeout', '1s'], '--kubeclient-timeout'],
    [['precheck', '--timeout', '1s'], '--timeout'],
  ])('mesh %s: a credential plugin that never ends is given up at the deadline', async (args, flag) => {
    const t0 = Date.now();
    const r = await runCli([...args, '--kubeconfig', withUser(plugin('exec sleep 30'))]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain(
      'cannot get credentials for context "x": the credential plugin "sh" did not finish within 1s',
    );
    if (args[0] !== 'precheck')
      expect(r.stderr).toContain(
        `Hint: run it yourself to see what it waits for (a login?), or raise ${flag}`,
      );
  });

  it.each([
    // a raw token instead of an ExecCredential: JSON.parse's message quoted its first characters
    ['echo SUPERSECRET-TOKEN-abc123', 'did not print an ExecCredential (JSON)'],
    [
      'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}\'',
      'printed an ExecCredential without a status',
    ],
    ['exit 3', 'failed with exit code 3'],
    // what it says on stderr is passed on first, as kubectl does
    ['echo "token expired, run login" >&2; exit 1', 'failed with exit code 1', 'token expired, run login'],
  ])(
    'plugin `%s`: one line saying what went wrong, never what it printed on stdout',
    async (script, reason, said?: string) => {
      const r = await runCli(['analyze', '-A', '--kubeconfig', withUser(plugin(script))]);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').slice(0, said ? 2 : 1)).toEqual([
        ...(said ? [said] : []),
        `Error: cannot get credentials for context "x": the credential plugin "sh" ${reason}`,
      ]);
      expect(r.stdout + r.stderr).not.toContain('SUPERSECRET');
    },
  );

  // kubectl's tokenFile: client-node reads only `token-file`, and sent such a user's requests with no
  // credentials (the server's 401 then blamed an expired token)
  it('a user with a tokenFile (relative to the kubeconfig) sends that token; a missing one is an error naming it', async () => {
    writeFileSync(join(dir, 'token'), 'from-the-file\n');
    mode = 'whoami';
    const kc = withUser('{tokenFile: token}');
    const res = await new KubeRest(loadKubeContext({ kubeconfig: kc }), 5000).request(
      'GET',
      '/api/v1/namespaces/x',
    );
    expect(res.body.metadata.name).toBe('Bearer from-the-file');
    const missing = withUser('{tokenFile: /nonexistent/token}');
    const r = await runCli(['pc', 'cluster', 'web', '--kubeconfig', missing]);
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: cannot read the tokenFile /nonexistent/token of user "u" (kubeconfig ${missing}): no such file or directory`,
    );
  });

  it('an empty kubeconfig, or one that is not a mapping, says so (not "reading \'clusters\'")', async () => {
    for (const [text, why] of [
      ['', 'it is empty'],
      ['- a\n- b\n', 'it is not a kubeconfig (a YAML mapping)'],
    ]) {
      const file = join(dir, `kc-bad-${why.length}`);
      writeFileSync(file, text);
      const r = await runCli(['pc', 'cluster', 'web', '--kubeconfig', file]);
      expect({ code: r.code, first: r.stderr.split('\n')[0] }).toEqual({
        code: 65,
        first: `Error: cannot read kubeconfig ${file}: ${why}`,
      });
    }
  });

  it('a password in the server URL is never shown (errors, report)', async () => {
    const secretUrl = url.replace('http://', 'http://admin:S3cr3t-PASSWORD@');
    mode = 'empty-object';
    for (const args of [
      ['analyze', '-A', '-o', 'json'],
      ['pc', 'cluster', 'web'],
      ['install', '--dry-run'],
    ]) {
      const r = await runCli([...args, '--kubeconfig', withUser('{token: t}', secretUrl)]);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain('S3cr3t');
      expect(r.stderr, args.join(' ')).toContain(url.replace('http://', 'http://admin:xxxxx@'));
    }
  });
});

it('a bare 404 ("the server could not find the requested resource") names the server and the request', async () => {
  const notFound = http.createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'NotFound',
        code: 404,
        message: 'the server could not find the requested resource',
      }),
    );
  });
  await new Promise<void>((r) => notFound.listen(0, '127.0.0.1', () => r()));
  const at = `http://127.0.0.1:${(notFound.address() as AddressInfo).port}`;
  try {
    const r = await runCli([
      'pc',
      'cluster',
      'web',
      '--kubeconfig',
      writeKubeconfig(mkdtempSync(join(dir, 'nf-')), 'nf', at),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: the Kubernetes API server ${at} answered GET /api/v1/namespaces/default/pods/web: the server could not find the requested resource (404)`,
    );
  } finally {
    notFound.closeAllConnections();
    await new Promise<void>((r) => notFound.close(() => r()));
  }
});
