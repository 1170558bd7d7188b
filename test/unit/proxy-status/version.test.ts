/** `mesh version`: client, control plane (per replica) and data plane versions from istiod's syncz. */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';
import { startXdsServer, type XdsStandIn } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
let server: XdsStandIn | undefined;
const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

const proxy = (id: string, version: string) => ({
  '@type': CC,
  node: { id, metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: 'shop', ISTIO_VERSION: version } },
});

describe('mesh version', () => {
  it('shows the control plane and how many proxies run which version', async () => {
    server = await startXdsServer(() => ({
      kind: 'respond',
      response: {
        type_url: 'istio.io/debug/syncz',
        resources: [proxy('a-0.shop', '1.31.0'), proxy('b-0.shop', '1.30.2'), proxy('c-0.shop', '1.31.0')],
        control_plane: {
          identifier: JSON.stringify({
            Component: 'istiod',
            ID: 'istiod-1',
            Info: { version: '1.31.0', revision: 'default' },
          }),
        },
      },
    }));
    const r = await runCli(['version', '--xds-address', server.address, '--plaintext']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^client version: \d+\.\d+\.\d+\ncontrol plane version: 1\.31\.0 \(1 replica\)\ndata plane version: 1\.31\.0 \(2 proxies\), 1\.30\.2 \(1 proxy\)\n$/,
    );
    const json = JSON.parse(
      (await runCli(['version', '--xds-address', server.address, '--plaintext', '-o', 'json'])).stdout,
    );
    expect(json.meshVersion).toEqual([
      { Component: 'istiod', ID: 'istiod-1', Info: { version: '1.31.0', revision: 'default' } },
    ]);
    expect(json.dataPlaneVersion).toContainEqual({ ID: 'b-0.shop', IstioVersion: '1.30.2' });
  });

  it('without a reachable control plane: the client version, then one error line, exit 1', async () => {
    const r = await runCli(['version', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^client version: \d+\.\d+\.\d+\n$/);
    expect(r.stderr).toMatch(/^error: control plane: kubeconfig \/nonexistent\/kubeconfig not found\n/);
    const local = await runCli(['version', '--remote=false', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(local.code).toBe(0);
    expect(local.stderr).toBe('');
  });

  it('a flag value no run can use is exit 64 before anything is printed, --remote=false or not', async () => {
    // Before: 'version --timeout x' printed the client version, then 'error: control plane: invalid
    // --timeout "x"…', exit 1; with --remote=false the value was never looked at (exit 0)
    for (const args of [
      ['--timeout', 'x'],
      ['--remote=false', '--timeout', 'x'],
    ]) {
      const r = await runCli(['version', ...args, '--kubeconfig', '/nonexistent/kubeconfig']);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([
        64,
        '',
        expect.stringMatching(/^Error: invalid --timeout "x"/),
      ]);
    }
  });

  it('--remote and --short are boolean flags as every other: =true|false, never the next argument', async () => {
    const noKube = ['--kubeconfig', '/nonexistent/kubeconfig'];
    for (const spelling of ['--remote=false', '--remote=0', '--remote=F']) {
      const r = await runCli(['version', spelling, ...noKube]);
      expect([r.code, r.stdout, r.stderr], spelling).toEqual([
        0,
        expect.stringMatching(/^client version: /),
        '',
      ]);
    }
    const everything = await runCli(['version', '--remote=false', '--short=false']);
    expect([everything.code, everything.stdout]).toEqual([0, expect.stringMatching(/^clientVersion:\n/)]);
    const bad = await runCli(['version', '--remote=no', ...noKube]);
    expect([bad.code, bad.stderr]).toEqual([
      64,
      'Error: invalid argument "no" for "--remote" flag: expected true or false\n',
    ]);
    // the README: "the next argument is never a boolean flag's value" (`--remote false` read `false` as
    // --remote's value, `-s yaml` failed as a bad boolean)
    for (const args of [
      ['--remote', 'false'],
      ['-s', 'yaml'],
    ]) {
      const r = await runCli(['version', ...args, ...noKube]);
      expect([r.code, r.stdout], args.join(' ')).toEqual([64, '']);
      expect(r.stderr, args.join(' ')).toMatch(/^Error: too many arguments for 'version'/);
    }
  });

  it('counts every connected proxy as proxy-status lists it: a node id shared, or connected to two replicas', async () => {
    // istiod-a: two proxies share catalog-0.shop (one of each version, mid-upgrade); istiod-b: catalog-0.shop
    // connected to it as well
    const answers: Record<string, Array<ReturnType<typeof proxy>>> = {
      'istiod-a': [
        proxy('catalog-0.shop', '1.31.0'),
        proxy('catalog-0.shop', '1.30.2'),
        proxy('cart-0.shop', '1.31.0'),
      ],
      'istiod-b': [proxy('catalog-0.shop', '1.31.0')],
    };
    const ports = new Map<string, number>();
    for (const [pod, resources] of Object.entries(answers)) {
      const identifier = JSON.stringify({ Component: 'istiod', ID: pod, Info: { version: '1.31.0' } });
      const s = await startXdsServer(() => ({
        kind: 'respond',
        response: { type_url: 'istio.io/debug/syncz', resources, control_plane: { identifier } },
      }));
      closers.push(s);
      ports.set(pod, Number(s.address.split(':')[1]));
    }
    const kube: FakeKube = await startFakeKube({
      objects: [...ports.keys()].map((pod) =>
        fakePod(pod, 'istio-system', { labels: { app: 'istiod' }, proxy: false }),
      ),
      forward: (_ns, pod) => ports.get(pod)!,
    });
    closers.push(kube);
    const args = ['--plaintext', '--kubeconfig', kube.kubeconfig()];
    const ps = await runCli(['proxy-status', ...args]);
    expect(ps.stdout.trim().split('\n')).toHaveLength(1 + 4); // the header, a row per connected proxy
    const r = await runCli(['version', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'control plane version: 1.31.0 (2 replicas)',
      'data plane version: 1.31.0 (3 proxies), 1.30.2 (1 proxy)',
      '',
    ]);
    const json = JSON.parse((await runCli(['version', ...args, '-o', 'json'])).stdout);
    expect(json.dataPlaneVersion).toEqual([
      { ID: 'cart-0.shop', IstioVersion: '1.31.0' },
      { ID: 'catalog-0.shop', IstioVersion: '1.31.0' },
      { ID: 'catalog-0.shop', IstioVersion: '1.30.2' },
      { ID: 'catalog-0.shop', IstioVersion: '1.31.0' },
    ]);
  });

  it('control characters in versions from the control plane or a proxy are written as escapes', async () => {
    server = await startXdsServer(() => ({
      kind: 'respond',
      response: {
        type_url: 'istio.io/debug/syncz',
        resources: [proxy('evil-0.shop', '1.31.0\x1b]0;pwned\x07')],
        control_plane: {
          identifier: JSON.stringify({
            Component: 'istiod',
            ID: 'istiod-1',
            Info: { version: '1.31\x1b[2J' },
          }),
        },
      },
    }));
    const r = await runCli(['version', '--xds-address', server.address, '--plaintext']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'control plane version: 1.31\\x1b[2J (1 replica)',
      'data plane version: 1.31.0\\x1b]0;pwned\\x07 (1 proxy)',
      '',
    ]);
  });
});
