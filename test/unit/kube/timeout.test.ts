import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { loadKubeContext } from '../../../src/kube/config.js';
import { readCluster } from '../../../src/kube/cluster.js';
import { KubeRest } from '../../../src/kube/rest.js';
import type { MeshError } from '../../../src/util/errors.js';
import { parsePodRef, resolvePod } from '../../../src/kube/pods.js';
import { openPodStream } from '../../../src/kube/port-forward.js';
import { runCli } from '../../support/cli.js';
import { startSilentServer, type SilentServer } from '../../support/silent-server.js';

/** Tracks a promise without awaiting it. */
function track(p: Promise<unknown>): { done: boolean; error?: Error } {
  const state: { done: boolean; error?: Error } = { done: false };
  p.then(
    () => (state.done = true),
    (err: Error) => {
      state.done = true;
      state.error = err;
    },
  );
  return state;
}

const podPath = '/api/v1/namespaces/default/pods/x';

let server: SilentServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

describe('--timeout against an API server that accepts connections and never answers', () => {
  // The clock is faked: the request must end when the asked time has passed on it (one deadline for
  // connect, TLS and answer), not when a socket has been idle that long (which restarts with each
  // handshake step and took 2-3x the asked time).
  it.each(['tls', 'tcp'] as const)('a GET ends when the timeout has passed (%s)', async (mode) => {
    server = await startSilentServer(mode);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const api = new KubeApi(loadKubeContext({ kubeconfig: server.kubeconfig }), 3000);
    const get = track(resolvePod(api, parsePodRef('x'), 'default'));
    await server.accepted(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(get.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(get.error?.message).toBe(
      `timed out after 3s waiting for the Kubernetes API server ${server.url} (GET ${podPath})`,
    );
    expect(server.connections).toBe(1);
  });

  it('a port-forward ends when the timeout has passed', async () => {
    server = await startSilentServer('tls');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const api = new KubeApi(loadKubeContext({ kubeconfig: server.kubeconfig }), 2000);
    const forward = track(openPodStream({ api, namespace: 'default', pod: 'x', port: 15000 }));
    await server.accepted(1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(forward.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(forward.error?.message).toBe(
      `timed out after 2s waiting for the Kubernetes API server ${server.url} (port-forward to pod x.default)`,
    );
    expect(server.connections).toBe(1);
  });

  it('--timeout 0 waits as long as it takes (no timeout), and still reports a dropped connection', async () => {
    server = await startSilentServer('tls');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const api = new KubeApi(loadKubeContext({ kubeconfig: server.kubeconfig }), 0);
    const get = track(resolvePod(api, parsePodRef('x'), 'default'));
    await server.accepted(1);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(get.done).toBe(false);
    vi.useRealTimers();
    server.dropConnections();
    await vi.waitFor(() => expect(get.done).toBe(true));
    expect(get.error?.message).toMatch(
      /^cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:\d+: /,
    );
  });

  it('mesh pc names the timeout it was given and exits 1, after one connection', async () => {
    server = await startSilentServer('tls');
    const r = await runCli(['pc', 'cluster', 'x', '--kubeconfig', server.kubeconfig, '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: timed out after 1s waiting for the Kubernetes API server ${server.url} (GET ${podPath})`,
    );
    expect(server.connections).toBe(1);
  });

  // analyze's cluster read starts with discovery (GET /apis); it was made without the deadline's signal,
  // so a server that never answered held mesh analyze forever, whatever --timeout said.
  it.each(['tls', 'tcp'] as const)(
    'mesh analyze ends at --timeout, discovery included (%s)',
    async (mode) => {
      server = await startSilentServer(mode);
      const r = await runCli(['analyze', '--kubeconfig', server.kubeconfig, '--timeout', '1s']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(
        `Error: timed out after 1s reading the cluster from the Kubernetes API server ${server.url} (discovery)`,
      );
    },
  );

  // istioctl's --kubeclient-timeout (default 15s): each request has its own deadline, so a server (a
  // remote cluster's, say) that never answers is given up after it, not after the whole read's --timeout
  it.each(['tls', 'tcp'] as const)(
    'mesh analyze --kubeclient-timeout ends a request that gets no answer (%s)',
    async (mode) => {
      server = await startSilentServer(mode);
      const r = await runCli(['analyze', '--kubeconfig', server.kubeconfig, '--kubeclient-timeout', '1s']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').slice(0, 2)).toEqual([
        `Error: timed out after 1s waiting for the Kubernetes API server ${server.url} (GET /apis)`,
        'Hint: raise --kubeclient-timeout, or check the cluster is reachable',
      ]);
    },
  );

  it('mesh analyze: the first deadline to pass names itself; an invalid --kubeclient-timeout is a usage error', async () => {
    server = await startSilentServer('tls');
    const whole = await runCli([
      'analyze',
      '--kubeconfig',
      server.kubeconfig,
      '--kubeclient-timeout',
      '0',
      '--timeout',
      '1s',
    ]);
    expect(whole.code).toBe(1);
    expect(whole.stderr.split('\n')[0]).toBe(
      `Error: timed out after 1s reading the cluster from the Kubernetes API server ${server.url} (discovery)`,
    );
    const invalid = await runCli(['analyze', 'examples/', '--kubeclient-timeout', 'soon']);
    expect(invalid.code).toBe(64);
    expect(invalid.stderr.split('\n')[0]).toBe('Error: invalid --kubeclient-timeout "soon"');
  });

  // istioctl has --kubeclient-timeout on every command; an istioctl user's script passing it to another
  // command than analyze got "unknown option". There it sets each API server request's deadline, in
  // place of the command's --timeout, which keeps its meaning for everything else (a proxy's admin API).
  it.each([['pc', 'cluster', 'x'], ['precheck']])(
    'mesh %s … --kubeclient-timeout 1s ends an API request after 1s, not --timeout',
    async (...cmd) => {
      server = await startSilentServer('tls');
      const t0 = Date.now();
      const r = await runCli([
        ...cmd,
        '--kubeconfig',
        server.kubeconfig,
        '--kubeclient-timeout',
        '1s',
        '--timeout',
        '1m',
      ]);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.split('\n');
      expect(lines.find((l) => l.includes('timed out'))).toMatch(
        new RegExp(
          `timed out after 1s waiting for the Kubernetes API server ${server.url.replace(/\./g, '\\.')} \\(GET /`,
        ),
      );
      expect(lines).toContain('Hint: raise --kubeclient-timeout, or check the cluster is reachable');
    },
  );

  it('--kubeclient-timeout is taken by every command that reads the cluster, and checked before any request', async () => {
    for (const cmd of [
      ['ps'],
      ['certs'],
      ['drift'],
      ['install', '-y'],
      ['kube-inject', '-f', 'x.yaml'],
      ['check'],
    ]) {
      const r = await runCli([
        ...cmd,
        '--kubeconfig',
        '/nonexistent/kubeconfig',
        '--kubeclient-timeout',
        'soon',
      ]);
      expect({ code: r.code, first: r.stderr.split('\n')[0] }, cmd.join(' ')).toEqual({
        code: 64,
        first: 'Error: invalid --kubeclient-timeout "soon"',
      });
    }
  });

  it('mesh analyze --timeout 0 waits as long as it takes (it failed at once: "timed out after 0s")', async () => {
    server = await startSilentServer('tls');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const kube = loadKubeContext({ kubeconfig: server.kubeconfig });
    const read = track(readCluster(kube, { istioNamespace: 'istio-system', timeoutMs: 0 }));
    await server.accepted(1);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(read.done).toBe(false);
    vi.useRealTimers();
    server.dropConnections();
    await vi.waitFor(() => expect(read.done).toBe(true));
    // the cause alone: node-fetch's 'request to <url> failed, reason:' repeated the server
    expect(read.error?.message).toMatch(
      /^cannot read the cluster from the Kubernetes API server https:\/\/127\.0\.0\.1:\d+: (?!request to)/,
    );
  });

  // KubeRest (precheck, check, install, uninstall) used the socket's idle timeout: against a silent
  // server 'precheck --timeout 3s' took about 6 s, and its error had no hint.
  it.each(['tls', 'tcp'] as const)(
    'a KubeRest request ends when the timeout has passed (%s)',
    async (mode) => {
      server = await startSilentServer(mode);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const rest = new KubeRest(loadKubeContext({ kubeconfig: server.kubeconfig }), 3000);
      const get = track(rest.request('GET', '/version'));
      await server.accepted(1);
      await vi.advanceTimersByTimeAsync(2999);
      expect(get.done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(get.error?.message).toBe(
        `timed out after 3s waiting for the Kubernetes API server ${server.url} (GET /version)`,
      );
      expect((get.error as MeshError).hint).toBe('raise --timeout, or check the cluster is reachable');
    },
  );
});
