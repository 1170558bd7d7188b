// mesh's port-forward client against the real kube-apiserver, which relays `pods/portforward` to
// kwok's kubelet API: which protocol they agree on, and how each way of failing reaches the user
// (one line naming the pod and the cause, exit code 1).
//
// mesh speaks the WebSocket port-forward protocol (`v4.channel.k8s.io`: one binary channel byte per
// message), offering the base64 and pre-v4 variants as fallbacks; it does not speak SPDY, nor the
// WebSocket tunnelling of SPDY (`SPDY/3.1+portforward.k8s.io`) that kubectl and istioctl use.
// kwok differs from a kubelet in one way the tests show: a port-forward stream stays open until both
// directions end, so a pod-side close never reaches the client; mesh then stops at --timeout.
import { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORT_FORWARD_PROTOCOLS } from '../../src/kube/port-forward.js';
import { runCli, type CliResult } from '../support/cli.js';
import { conformanceDump, startEnvoyAdmin, type AdminServer } from '../support/envoy-admin-server.js';
import { clientsFor, type Clients, eventually, uniqueName } from './support/kube.js';
import { createSidecarPods, portOf } from './support/sidecars.js';
import { startTestbed, type Testbed } from './support/testbed.js';
import { closedPort } from '../support/closed-port.js';

// Its own testbed with nodes: pods of other files stay out of `certs -A`, and these stay out of theirs.
let testbed: Testbed;
let c: Clients;
let kube: string[];
const ns = uniqueName('pf');
const dump = conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json');
const admins: AdminServer[] = [];

async function admin(opts: Parameters<typeof startEnvoyAdmin>[0]): Promise<AdminServer> {
  const server = await startEnvoyAdmin(opts);
  admins.push(server);
  return server;
}

/** The error line (stderr's first line) of a failed run; any other line may only be the hint. */
function errorLine(r: CliResult): string {
  const [first, ...rest] = r.stderr.trimEnd().split('\n');
  expect(rest.filter((l) => !l.startsWith('Hint: '))).toEqual([]);
  return first!;
}

let healthy: AdminServer;
let slow: AdminServer;

beforeAll(async () => {
  testbed = await startTestbed({ nodes: true });
  c = clientsFor(testbed.kubeconfig);
  kube = ['--kubeconfig', testbed.kubeconfig];
  healthy = await admin({ dump });
  slow = await admin({ dump, fault: { kind: 'delay', delayMs: 20_000, paths: ['/config_dump'] } });
  const cut = await admin({ dump, fault: { kind: 'close-mid-body', paths: ['/config_dump'] } });
  await createSidecarPods(c, ns, [
    { name: 'healthy-0', forwards: { 15000: portOf(healthy.url) } },
    { name: 'slow-0', forwards: { 15000: portOf(slow.url) } },
    { name: 'cut-0', forwards: { 15000: portOf(cut.url) } },
    { name: 'closed-0', forwards: { 15000: await closedPort() } },
    { name: 'pending-0', forwards: { 15000: portOf(healthy.url) }, pending: true },
  ]);
});

afterAll(async () => {
  await testbed?.stop();
  await Promise.all(admins.map((a) => a.close()));
});

describe('port-forward protocol', () => {
  async function negotiate(protocols: string[]): Promise<{ protocol: string; answer: string }> {
    const kc = new KubeConfig();
    kc.loadFromFile(testbed.kubeconfig);
    const opts: WebSocket.ClientOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const url = `${testbed.server.replace(/^https/, 'wss')}/api/v1/namespaces/${ns}/pods/healthy-0/portforward?ports=15000`;
    const ws = new WebSocket(url, protocols, opts);
    return new Promise((resolve, reject) => {
      const base64 = () => ws.protocol.includes('base64');
      let data = Buffer.alloc(0);
      let headerLeft = 2;
      ws.on('error', reject);
      ws.on('open', () => {
        const request = Buffer.from('GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        ws.send(base64() ? `0${request.toString('base64')}` : Buffer.concat([Buffer.of(0), request]));
      });
      ws.on('message', (raw: Buffer) => {
        const channel = base64() ? raw[0]! - 48 : raw[0]!;
        let payload = base64() ? Buffer.from(raw.subarray(1).toString(), 'base64') : raw.subarray(1);
        if (channel !== 0) return;
        const skip = Math.min(headerLeft, payload.length);
        headerLeft -= skip;
        payload = payload.subarray(skip);
        data = Buffer.concat([data, payload]);
        // Done once the whole answer (Content-Length) is in: kwok keeps the stream open after the
        // server closed its side.
        const text = data.toString();
        const end = text.indexOf('\r\n\r\n');
        const length = /content-length: (\d+)/i.exec(text)?.[1];
        if (end >= 0 && length !== undefined && data.length >= end + 4 + Number(length)) {
          resolve({ protocol: ws.protocol, answer: text });
          ws.close();
        }
      });
      ws.on('close', () =>
        reject(new Error(`closed before a whole answer: ${JSON.stringify(data.toString())}`)),
      );
    });
  }

  it('the API server and kwok pick v4.channel.k8s.io from the list mesh offers', async () => {
    const { protocol, answer } = await negotiate(PORT_FORWARD_PROTOCOLS);
    expect(protocol).toBe('v4.channel.k8s.io');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nLIVE\n$/);
  });

  // The pre-v4 protocols mesh still offers, for old servers, are refused here: harmless, since a
  // server picks from the whole list and this one picks v4.channel.k8s.io.
  it('the base64 fallback works when offered alone; the pre-v4 protocols are refused', async () => {
    const results: Record<string, string> = {};
    for (const offered of PORT_FORWARD_PROTOCOLS) {
      results[offered] = await negotiate([offered]).then(
        ({ protocol, answer }) => `${protocol}: ${answer.split('\r\n')[0]}`,
        (err: Error) => `failed: ${err.message}`,
      );
    }
    expect(results).toEqual({
      'v4.channel.k8s.io': 'v4.channel.k8s.io: HTTP/1.1 200 OK',
      'v4.base64.channel.k8s.io': 'v4.base64.channel.k8s.io: HTTP/1.1 200 OK',
      'channel.k8s.io': 'failed: Unexpected server response: 403',
      'base64.channel.k8s.io': 'failed: Unexpected server response: 403',
    });
  });
});

describe('port-forward faults on the real path', () => {
  it('a healthy pod works (the baseline for the cases below)', async () => {
    const r = await runCli(['pc', 'listener', `healthy-0.${ns}`, ...kube]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ADDRESSES +PORT/);
  });

  it('pod not Running (unschedulable, Pending): named with its phase', async () => {
    const pod = await c.core.readNamespacedPod({ name: 'pending-0', namespace: ns });
    expect(pod.status?.phase).toBe('Pending');
    const r = await runCli(['pc', 'cluster', `pending-0.${ns}`, ...kube]);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toBe(`Error: pod pending-0.${ns} is not running (phase Pending)`);
  });

  it('target port closed: the error kwok reports on the error channel, with the pod', async () => {
    const r = await runCli(['pc', 'cluster', `closed-0.${ns}`, ...kube]);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(
      new RegExp(
        `^Error: cannot reach the Envoy admin API of pod closed-0\\.${ns} on port 15000: port-forward to pod closed-0\\.${ns} port 15000 failed: .*connection refused`,
      ),
    );
  });

  it('a port the pod does not forward: the same kind of error', async () => {
    const r = await runCli(['pc', 'cluster', `healthy-0.${ns}`, '--proxy-admin-port', '15001', ...kube]);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(
      new RegExp(`^Error: cannot reach the Envoy admin API of pod healthy-0\\.${ns} on port 15001: .*15001`),
    );
  });

  // kwok keeps a port-forward stream open until both directions end, so the admin server closing its
  // side never reaches mesh: mesh has part of an answer whose Content-Length says more is due, and
  // gives up at --timeout, saying how much of the answer arrived (it said "no answer within 3s", as if
  // the proxy had never answered). The partial answer is never printed.
  it('admin server closing mid-response: no whole answer within --timeout, and how much of it arrived', async () => {
    const r = await runCli(['pc', 'cluster', `cut-0.${ns}`, '--timeout', '3s', ...kube]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const m = new RegExp(
      `^Error: Envoy admin cut-0\\.${ns}: /config_dump: answer incomplete after 3s \\((\\d+) of (\\d+) bytes received\\)$`,
    ).exec(errorLine(r));
    expect(m, errorLine(r)).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(Number(m![2]));
  });

  it('pod deleted mid-request: no answer within --timeout, then "not found"', async () => {
    const run = runCli(['pc', 'cluster', `slow-0.${ns}`, '--timeout', '8s', ...kube]);
    await eventually('the config_dump request', async () =>
      slow.requests.some((r) => r.startsWith('GET /config_dump')) ? true : undefined,
    );
    await c.core.deleteNamespacedPod({ name: 'slow-0', namespace: ns });
    await eventually('slow-0 deleted by kwok', async () =>
      c.core.readNamespacedPod({ name: 'slow-0', namespace: ns }).then(
        () => undefined,
        () => true,
      ),
    );
    // The proxy stops with its pod, as Envoy does when its container is killed.
    await slow.close();
    const r = await run;
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toBe(`Error: Envoy admin slow-0.${ns}: /config_dump: no answer within 8s`);
    const again = await runCli(['pc', 'cluster', `slow-0.${ns}`, ...kube]);
    expect(again.code).toBe(1);
    expect(errorLine(again)).toBe('Error: pods "slow-0" not found');
  });

  it('forbidden pods/portforward for a user who may only read pods', async () => {
    await c.objects.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    } as never);
    await c.objects.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pod-reader', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'User', name: 'mesh-e2e-user' }],
    } as never);
    const restricted = ['--kubeconfig', testbed.restrictedKubeconfig];
    const r = await eventually('the RoleBinding in effect', async () => {
      const run = await runCli(['pc', 'cluster', `healthy-0.${ns}`, ...restricted]);
      return run.stderr.includes('cannot get resource "pods"') ? undefined : run;
    });
    expect(r.code).toBe(1);
    expect(errorLine(r)).toBe(
      `Error: cannot reach the Envoy admin API of pod healthy-0.${ns} on port 15000: pods "healthy-0" is forbidden: User "mesh-e2e-user" cannot get resource "pods/portforward" in API group "" in the namespace "${ns}"`,
    );
    const certs = await runCli(['certs', '-n', ns, ...restricted]);
    expect(certs.code).toBe(1);
    expect(certs.stdout).toContain('pods/portforward');
    // The admin impersonating that user (--as, as kubectl and istioctl): the same answer, on both the
    // pod read and the port-forward WebSocket; and with a group that may do anything, the dump.
    const as = await runCli(['pc', 'cluster', `healthy-0.${ns}`, ...kube, '--as', 'mesh-e2e-user']);
    expect([as.code, errorLine(as)]).toEqual([1, errorLine(r)]);
    const asAdmin = await runCli([
      'pc',
      'cluster',
      `healthy-0.${ns}`,
      ...kube,
      '--as',
      'mesh-e2e-user',
      '--as-group',
      'system:masters',
    ]);
    expect(asAdmin.stderr).toBe('');
    expect(asAdmin.stdout).toContain('SERVICE FQDN');
  });
});
