import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { MeshError } from '../../../src/util/errors.js';
import { runCli } from '../../support/cli.js';
import { startFakeKube } from '../../support/port-forward-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-kc-'));
function kubeconfig(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
}
const config = (ctx: string, server: string, extra = '') => `apiVersion: v1
kind: Config
current-context: ${ctx}
clusters:
- name: c-${ctx}
  cluster: { server: "${server}" }
contexts:
- name: ${ctx}
  context: { cluster: c-${ctx}, user: u${extra} }
users:
- name: u
  user: { token: s3cr3t-token }
`;

function error(fn: () => unknown): MeshError {
  try {
    fn();
  } catch (e) {
    return e as MeshError;
  }
  throw new Error('expected an error');
}

const saved = {
  KUBECONFIG: process.env.KUBECONFIG,
  HOME: process.env.HOME,
  KSH: process.env.KUBERNETES_SERVICE_HOST,
};
beforeEach(() => {
  delete process.env.KUBECONFIG;
  delete process.env.KUBERNETES_SERVICE_HOST;
  process.env.HOME = mkdtempSync(join(tmpdir(), 'mesh-home-'));
});
afterEach(() => {
  for (const [k, v] of Object.entries({
    KUBECONFIG: saved.KUBECONFIG,
    HOME: saved.HOME,
    KUBERNETES_SERVICE_HOST: saved.KSH,
  })) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('loadKubeContext', () => {
  it('uses the current context, its server and its namespace; -n overrides', () => {
    const f = kubeconfig('a', config('prod', 'https://prod.example:6443/', ', namespace: shop'));
    const k = loadKubeContext({ kubeconfig: f });
    expect(k.contextName).toBe('prod');
    expect(k.server).toBe('https://prod.example:6443');
    expect(k.namespace).toBe('shop');
    expect(loadKubeContext({ kubeconfig: f, namespace: 'other' }).namespace).toBe('other');
  });

  it('defaults the namespace to "default" when the context has none', () => {
    expect(
      loadKubeContext({ kubeconfig: kubeconfig('b', config('dev', 'https://dev:6443')) }).namespace,
    ).toBe('default');
  });

  it('reads ~/.kube/config when neither --kubeconfig nor KUBECONFIG is set', () => {
    mkdirSync(join(process.env.HOME!, '.kube'));
    writeFileSync(join(process.env.HOME!, '.kube', 'config'), config('home', 'https://home:6443'));
    expect(loadKubeContext().contextName).toBe('home');
  });

  it('merges KUBECONFIG files with the first file winning, skipping missing ones', () => {
    const a = kubeconfig('m1', config('first', 'https://first:6443'));
    const b = kubeconfig('m2', config('second', 'https://second:6443'));
    process.env.KUBECONFIG = [join(dir, 'missing'), a, b].join(delimiter);
    const k = loadKubeContext();
    expect(k.contextName).toBe('first');
    expect(loadKubeContext({ context: 'second' }).server).toBe('https://second:6443');
  });

  it('names a missing --kubeconfig file', () => {
    const e = error(() => loadKubeContext({ kubeconfig: join(dir, 'nope') }));
    expect(e.message).toBe(`kubeconfig ${join(dir, 'nope')} not found`);
    expect(e.exitCode).toBe(1);
  });

  it('says where it looked when there is no kubeconfig at all', () => {
    const e = error(() => loadKubeContext());
    expect(e.message).toMatch(/^no kubeconfig found \(looked at .*\.kube\/config\)$/);
    // only what every command has: the ways without a cluster differ from command to command
    expect(e.hint).toBe('pass --kubeconfig or set KUBECONFIG');
    expect(error(() => loadKubeContext({ offline: '-f works without a cluster' })).hint).toBe(
      'pass --kubeconfig or set KUBECONFIG; -f works without a cluster',
    );
  });

  it('lists the known contexts for an unknown --context', () => {
    const f = kubeconfig('c', config('prod', 'https://prod:6443'));
    const e = error(() => loadKubeContext({ kubeconfig: f, context: 'staging' }));
    expect(e.message).toBe(`context "staging" not found in kubeconfig ${f}`);
    expect(e.hint).toBe('known contexts: prod');
  });

  it('an empty --kubeconfig or --context is no flag, as kubectl and istioctl read it', () => {
    // Before: --context '' was 'kubeconfig F has no current context' (it has one), and --kubeconfig ''
    // was 'kubeconfig  not found', exit 1, where kubectl and istioctl use KUBECONFIG and its context
    const f = kubeconfig('e', config('prod', 'https://prod:6443'));
    expect(loadKubeContext({ kubeconfig: f, context: '' }).contextName).toBe('prod');
    process.env.KUBECONFIG = f;
    const k = loadKubeContext({ kubeconfig: '', context: '' });
    expect([k.contextName, k.server]).toEqual(['prod', 'https://prod:6443']);
  });

  it('asks for --context when there is no current context', () => {
    const f = kubeconfig('d', config('prod', 'https://prod:6443').replace('current-context: prod\n', ''));
    expect(error(() => loadKubeContext({ kubeconfig: f })).message).toContain('has no current context');
  });

  it('reports an unparsable kubeconfig as input error (65) without echoing its content', () => {
    const f = kubeconfig('e', 'clusters: [ {{{ token: s3cr3t-token');
    const e = error(() => loadKubeContext({ kubeconfig: f }));
    expect(e.exitCode).toBe(65);
    expect(e.message).toContain(`cannot read kubeconfig ${f}`);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message).not.toContain('s3cr3t');
  });

  it('refuses a server that is not an http(s) URL (exit 65) instead of failing each request with "Invalid URL"', async () => {
    for (const server of ['not a url', 'ftp://prod:6443', 'prod:6443']) {
      const f = kubeconfig('url', config('prod', server));
      const e = error(() => loadKubeContext({ kubeconfig: f }));
      expect(e.exitCode).toBe(65);
      expect(e.message).toBe(
        `cluster "c-prod" of kubeconfig ${f} has server "${server}", which is not an http(s) URL`,
      );
    }
    const f = kubeconfig('url', config('prod', 'not a url'));
    for (const cmd of [['precheck'], ['check'], ['certs']]) {
      const r = await runCli([...cmd, '--kubeconfig', f]);
      expect([r.code, r.stderr.split('\n')[0]], cmd[0]).toEqual([
        65,
        `Error: cluster "c-prod" of kubeconfig ${f} has server "not a url", which is not an http(s) URL`,
      ]);
    }
  });

  // kubectl proxy serves the API on plain HTTP (http://127.0.0.1:8001) and adds the credentials itself;
  // client-node refuses an http: server unless insecure-skip-tls-verify is set, and every command failed
  // with 'cannot get credentials …: HTTP protocol is not allowed when skipTLSVerify is not set or false'.
  it('reads a plain-HTTP server (kubectl proxy) without insecure-skip-tls-verify', async () => {
    const kube = await startFakeKube({ objects: [] });
    try {
      const f = kubeconfig('http', config('proxy', kube.url));
      expect(loadKubeContext({ kubeconfig: f }).server).toBe(kube.url);
      const certs = await runCli(['certs', '-A', '--kubeconfig', f]);
      expect([certs.code, certs.stderr, certs.stdout]).toEqual([0, 'No proxies found.\n', '']);
      const drift = await runCli(['drift', '-n', 'shop', '--kubeconfig', f]);
      expect([drift.code, drift.stderr, drift.stdout]).toEqual([0, 'No proxies found.\n', '']);
    } finally {
      await kube.close();
    }
  });
});
