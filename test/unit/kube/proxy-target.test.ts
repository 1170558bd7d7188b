import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeAdminUrl, openProxyEndpoint } from '../../../src/kube/proxy-target.js';
import { AdminClient } from '../../../src/envoy/admin.js';
import { conformanceDump, startEnvoyAdmin, type AdminServer } from '../../support/envoy-admin-server.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';

describe('openProxyEndpoint', () => {
  let admin: AdminServer;
  let kube: FakeKube;
  let kubeconfig: string;
  let closedPort: number;
  beforeAll(async () => {
    admin = await startEnvoyAdmin({ dump: conformanceDump('istioctl/pkg/authz/testdata/configdump.yaml') });
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const adminPort = Number(new URL(admin.url).port);
    kube = await startFakeKube({
      objects: [
        fakePod('httpbin-1', 'default', { labels: { app: 'httpbin' } }),
        fakePod('mysql-0', 'default', { proxy: false }),
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'httpbin', namespace: 'default' },
          spec: { selector: { matchLabels: { app: 'httpbin' } } },
        },
      ],
      // pod port 15000 reaches the stand-in admin server; any other port has nothing listening
      forward: (_ns, _pod, port) => (port === 15000 ? adminPort : closedPort),
    });
    kubeconfig = kube.kubeconfig();
  });
  afterAll(async () => {
    await kube.close();
    await admin.close();
  });

  it('uses --admin-url as given, without cluster access', async () => {
    const ep = await openProxyEndpoint({
      adminUrl: admin.url + '/',
      adminPort: 15000,
      timeoutMs: 1000,
      kubeconfig: '/nonexistent',
    });
    expect(ep.baseUrl).toBe(admin.url);
    expect(ep.label).toBe(admin.url);
    await ep.close();
  });

  it('validates --admin-url and the admin port before any network call', async () => {
    await expect(
      openProxyEndpoint({ adminUrl: 'ftp://x', adminPort: 15000, timeoutMs: 1000 }),
    ).rejects.toThrow('only http and https');
    await expect(openProxyEndpoint({ target: 'x', adminPort: 70000, timeoutMs: 1000 })).rejects.toThrow(
      'port number 70000 must be in the range 1..65535',
    );
    expect(normalizeAdminUrl('http://127.0.0.1:15000/proxy/7/')).toBe('http://127.0.0.1:15000/proxy/7');
  });

  it('port-forwards to a pod and serves its admin API', async () => {
    const ep = await openProxyEndpoint({
      target: 'httpbin-1',
      kubeconfig,
      adminPort: 15000,
      timeoutMs: 5000,
    });
    expect(ep.label).toBe('httpbin-1.default');
    expect(ep.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = await new AdminClient({ baseUrl: ep.baseUrl, timeoutMs: 5000 }).request(
      'GET',
      'config_dump',
    );
    expect(JSON.parse(body).configs[0]['@type']).toBe(
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
    );
    await ep.close();
  });

  it('resolves deployment/<name> through the selector', async () => {
    const ep = await openProxyEndpoint({
      target: 'deployment/httpbin.default',
      kubeconfig,
      adminPort: 15000,
      timeoutMs: 5000,
    });
    expect(ep.label).toBe('httpbin-1.default');
    await ep.close();
  });

  it('refuses a pod without istio-proxy', async () => {
    await expect(
      openProxyEndpoint({ target: 'mysql-0', kubeconfig, adminPort: 15000, timeoutMs: 5000 }),
    ).rejects.toThrow('pod mysql-0.default has no istio-proxy container');
  });

  it('names the pod, the port and the forward error when nothing listens there', async () => {
    const err = await openProxyEndpoint({
      target: 'httpbin-1',
      kubeconfig,
      adminPort: 15001,
      timeoutMs: 5000,
    }).catch((e) => e);
    expect(err.message).toMatch(
      /^cannot reach the Envoy admin API of pod httpbin-1\.default on port 15001: port-forward to pod httpbin-1\.default port 15001 failed: error forwarding port 15001/,
    );
  });
});
