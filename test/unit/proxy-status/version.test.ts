/** `mesh version`: client, control plane (per replica) and data plane versions from istiod's syncz. */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startXdsServer, type XdsStandIn } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
let server: XdsStandIn | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
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
});
