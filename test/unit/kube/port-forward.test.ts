import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { loadKubeContext } from '../../../src/kube/config.js';
import { openPodStream, startPortForward } from '../../../src/kube/port-forward.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { closedPort } from '../../support/closed-port.js';

/** A TCP server that answers every chunk with "echo:<chunk>". */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.on('data', (d) => s.write(`echo:${d}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const pod = fakePod('web-1', 'shop');

describe('port-forward client against the WebSocket stand-in', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let httpServer: http.Server;
  let httpPort: number;
  beforeAll(async () => {
    echo = await echoServer();
    httpServer = http.createServer((req, res) => res.end(`hello from ${req.url} ` + 'x'.repeat(200_000)));
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
    httpPort = (httpServer.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await echo.close();
    await new Promise<void>((r) => httpServer.close(() => r()));
  });

  for (const protocols of [['v4.channel.k8s.io'], ['v4.base64.channel.k8s.io'], ['channel.k8s.io']]) {
    it(`carries bytes both ways with ${protocols[0]}`, async () => {
      const kube = await startFakeKube({ objects: [pod], protocols, forward: () => echo.port });
      const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
      const stream = await openPodStream({ api, namespace: 'shop', pod: 'web-1', port: 15000 });
      const got = new Promise<string>((r) => stream.once('data', (d: Buffer) => r(d.toString())));
      stream.write('ping');
      expect(await got).toBe('echo:ping');
      stream.destroy();
      await kube.close();
    });
  }

  it('reads a port header split over two messages', async () => {
    const kube = await startFakeKube({ objects: [pod], splitHeader: true, forward: () => echo.port });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
    const stream = await openPodStream({ api, namespace: 'shop', pod: 'web-1', port: 15000 });
    const got = new Promise<string>((r) => stream.once('data', (d: Buffer) => r(d.toString())));
    stream.write('split');
    expect(await got).toBe('echo:split');
    stream.destroy();
    await kube.close();
  });

  it('serves HTTP through the local listener, one WebSocket per connection', async () => {
    const kube = await startFakeKube({ objects: [pod], forward: () => httpPort });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
    const fwd = await startPortForward({ api, namespace: 'shop', pod: 'web-1', port: 15000 });
    const [a, b] = await Promise.all([
      get(`http://127.0.0.1:${fwd.localPort}/a`),
      get(`http://127.0.0.1:${fwd.localPort}/b`),
    ]);
    expect(a.body.startsWith('hello from /a ')).toBe(true);
    expect(a.body.length).toBe('hello from /a '.length + 200_000);
    expect(b.body.startsWith('hello from /b ')).toBe(true);
    expect(kube.forwards).toBe(2);
    expect(fwd.lastError).toBeUndefined();
    await fwd.close();
    await kube.close();
  });

  it('turns an error-channel message into the forward error (nothing listens on the pod port)', async () => {
    const closed = await closedPort();
    const kube = await startFakeKube({ objects: [pod], forward: () => closed });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
    const fwd = await startPortForward({ api, namespace: 'shop', pod: 'web-1', port: 15000 });
    await expect(get(`http://127.0.0.1:${fwd.localPort}/`)).rejects.toThrow();
    expect(fwd.lastError).toMatch(
      /^port-forward to pod web-1\.shop port 15000 failed: error forwarding port 15000 to pod .*ECONNREFUSED/,
    );
    await fwd.close();
    await kube.close();
  });

  it('reports a refused upgrade with the Status message (e.g. RBAC)', async () => {
    const kube = await startFakeKube({
      objects: [pod],
      rejectPortForward: {
        status: 403,
        message: 'pods "web-1" is forbidden: User "dev" cannot create resource "pods/portforward"',
      },
    });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
    const err = await openPodStream({ api, namespace: 'shop', pod: 'web-1', port: 15000 }).catch((e) => e);
    expect(err.message).toBe(
      'pods "web-1" is forbidden: User "dev" cannot create resource "pods/portforward"',
    );
    expect(err.hint).toContain('RBAC');
    await kube.close();
  });

  it('reports a missing pod from the upgrade answer', async () => {
    const kube = await startFakeKube({ objects: [] });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 5000);
    await expect(openPodStream({ api, namespace: 'shop', pod: 'gone', port: 15000 })).rejects.toThrow(
      'pods "gone" not found',
    );
    await kube.close();
  });

  it('sends the kubeconfig token on the upgrade request', async () => {
    const kube = await startFakeKube({ objects: [pod], token: 't0k', forward: () => echo.port });
    const good = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig({ token: 't0k' }) }), 5000);
    const stream = await openPodStream({ api: good, namespace: 'shop', pod: 'web-1', port: 15000 });
    stream.destroy();
    const bad = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig({ token: 'old' }) }), 5000);
    const err = await openPodStream({ api: bad, namespace: 'shop', pod: 'web-1', port: 15000 }).catch(
      (e) => e,
    );
    expect(err.message).toContain('401 Unauthorized');
    expect(err.message).not.toContain('old');
    await kube.close();
  });
});
