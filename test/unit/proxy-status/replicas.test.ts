/**
 * Reaching every istiod replica the way istioctl does: Running pods labelled app=istiod (and
 * istio.io/rev) in the istio namespace, each through a Kubernetes port-forward (the API stand-in speaks
 * the real WebSocket protocol) to a stand-in xDS server; answers merged, a failed replica named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../support/cli.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';
import { startXdsServer, type Answer, type XdsStandIn } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function syncz(id: string, proxies: string[], revision = 'default'): Answer {
  return {
    kind: 'respond',
    response: {
      type_url: 'istio.io/debug/syncz',
      resources: proxies.map((p) => ({
        '@type': CC,
        node: {
          id: p,
          metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: p.split('.')[1], ISTIO_VERSION: '1.31.0' },
        },
        generic_xds_configs: [{ type_url: CDS, config_status: 'SYNCED' }],
      })),
      control_plane: {
        identifier: JSON.stringify({ Component: 'istiod', ID: id, Info: { version: '1.31.0', revision } }),
      },
    },
  };
}

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

async function cluster(
  replicas: Array<{ pod: string; answer: Answer | 'down'; labels?: Record<string, string> }>,
) {
  const ports = new Map<string, number>();
  for (const r of replicas) {
    if (r.answer === 'down') {
      ports.set(r.pod, 1); // nothing listens there
      continue;
    }
    const answer = r.answer;
    const s: XdsStandIn = await startXdsServer(() => answer);
    closers.push(s);
    ports.set(r.pod, Number(s.address.split(':')[1]));
  }
  const kube: FakeKube = await startFakeKube({
    objects: [
      ...replicas.map((r) =>
        fakePod(r.pod, 'istio-system', {
          labels: r.labels ?? { app: 'istiod', 'istio.io/rev': 'default' },
          proxy: false,
        }),
      ),
      fakePod('istiod-stopped', 'istio-system', { labels: { app: 'istiod' }, proxy: false, phase: 'Failed' }),
    ],
    forward: (_ns, pod, port) => {
      expect(port).toBe(15010);
      return ports.get(pod)!;
    },
  });
  closers.push(kube);
  return kube;
}

describe('proxy-status through port-forwards to every istiod pod', () => {
  it('asks every Running replica and merges the rows; ISTIOD names the answering replica', async () => {
    const kube = await cluster([
      { pod: 'istiod-a', answer: syncz('istiod-a', ['x-0.shop', 'z-0.shop']) },
      { pod: 'istiod-b', answer: syncz('istiod-b', ['y-0.shop']) },
    ]);
    const r = await runCli(['proxy-status', '--plaintext', '--kubeconfig', kube.kubeconfig()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'NAME CLUSTER ISTIOD',
      'x-0.shop Kubernetes istiod-a',
      'y-0.shop Kubernetes istiod-b',
      'z-0.shop Kubernetes istiod-a',
      '',
    ]);
    expect(kube.forwards).toBe(2);
  });

  it('a replica that cannot be reached: the others are shown, the failed one named, exit 1', async () => {
    const kube = await cluster([
      { pod: 'istiod-a', answer: syncz('istiod-a', ['x-0.shop']) },
      { pod: 'istiod-b', answer: 'down' },
    ]);
    const r = await runCli([
      'proxy-status',
      '--plaintext',
      '--kubeconfig',
      kube.kubeconfig(),
      '--timeout',
      '5s',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('x-0.shop');
    expect(r.stderr).toMatch(/^error: istiod-b \(127\.0\.0\.1:\d+\): .*\(its proxies are missing above\)$/m);
  });

  it('a pod port nothing listens on: the port-forward says so (not a bare ECONNRESET and a hint about TLS)', async () => {
    const kube = await cluster([{ pod: 'istiod-b', answer: 'down' }]);
    const r = await runCli([
      'proxy-status',
      '--plaintext',
      '--kubeconfig',
      kube.kubeconfig(),
      '--timeout',
      '5s',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^Error: istiod-b \(127\.0\.0\.1:\d+\): port-forward to pod istiod-b\.istio-system port 15010 failed: error forwarding port 15010 to pod fake, uid : connect ECONNREFUSED 127\.0\.0\.1:1$/,
      ),
      'Hint: nothing answers on port 15010 of the istiod pod: --xds-port must be the port istiod serves xDS on (15012, TLS; 15010, plaintext, with --plaintext)',
    ]);
  });

  it('<pod>: replicas that fail are counted apart from those without config for the proxy', async () => {
    const none: Answer = { kind: 'respond', response: { resources: [] } };
    const dump = join(mkdtempSync(join(tmpdir(), 'mesh-ps-')), 'dump.json');
    writeFileSync(dump, JSON.stringify({ configs: [] }));
    const run = async (kube: FakeKube) => {
      const r = await runCli([
        'ps',
        'x-0.shop',
        '-f',
        dump,
        '--plaintext',
        '--kubeconfig',
        kube.kubeconfig(),
      ]);
      return { ...r, stderr: r.stderr.replace(/127\.0\.0\.1:\d+/g, 'ADDR') };
    };
    const fail = (pod: string) =>
      `error: ${pod} (ADDR): port-forward to pod ${pod}.istio-system port 15010 failed: ` +
      'error forwarding port 15010 to pod fake, uid : connect ECONNREFUSED ADDR\n';
    const one = await run(
      await cluster([
        { pod: 'istiod-a', answer: none },
        { pod: 'istiod-b', answer: 'down' },
      ]),
    );
    expect(one).toEqual({
      code: 1,
      stdout: '',
      stderr:
        fail('istiod-b') +
        'Error: no control-plane replica has config for proxy x-0.shop (asked 2; 1 did not answer)\n' +
        'Hint: is the proxy connected? `mesh proxy-status` lists the proxies each replica knows\n',
    });
    const both = await run(
      await cluster([
        { pod: 'istiod-a', answer: 'down' },
        { pod: 'istiod-b', answer: 'down' },
      ]),
    );
    expect(both).toEqual({
      code: 1,
      stdout: '',
      stderr:
        fail('istiod-a') +
        fail('istiod-b') +
        'Error: none of the 2 control-plane replicas answered (see above)\n',
    });
  });

  it('-o yaml: one document per replica, separated by --- (a YAML reader kept only the last one); -o json as istioctl', async () => {
    const kube = await cluster([
      { pod: 'istiod-a', answer: syncz('istiod-a', ['x-0.shop']) },
      { pod: 'istiod-b', answer: syncz('istiod-b', ['y-0.shop']) },
    ]);
    const args = ['proxy-status', '--plaintext', '--kubeconfig', kube.kubeconfig(), '-o'];
    const yaml = await runCli([...args, 'yaml']);
    expect([yaml.code, yaml.stderr]).toEqual([0, '']);
    const docs = parseAllDocuments(yaml.stdout).map((d) => d.toJS());
    expect(docs.map((d) => d.resources.map((r: any) => r.node.id))).toEqual([['x-0.shop'], ['y-0.shop']]);
    expect(yaml.stdout.split('\n').filter((l) => l === '---')).toHaveLength(1);
    // JSON stays istioctl's: the documents one after the other, no separator
    const json = await runCli([...args, 'json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toMatch(/^\{\n[^]*\n\}\n\{\n[^]*\n\}\n$/);
    expect(json.stdout).not.toContain('---');
  });

  it('a replica answering empty is a replica without proxies, not an error', async () => {
    const kube = await cluster([
      { pod: 'istiod-a', answer: syncz('istiod-a', ['x-0.shop']) },
      { pod: 'istiod-b', answer: { kind: 'respond', response: { type_url: 'istio.io/debug/syncz' } } },
    ]);
    const r = await runCli(['proxy-status', '--plaintext', '--kubeconfig', kube.kubeconfig()]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('--revision selects the replicas of that revision; no replica is an error naming the namespace', async () => {
    const kube = await cluster([
      { pod: 'istiod-a', answer: syncz('istiod-a', ['x-0.shop']) },
      {
        pod: 'istiod-canary-a',
        answer: syncz('istiod-canary-a', ['c-0.shop'], 'canary'),
        labels: { app: 'istiod', 'istio.io/rev': 'canary' },
      },
    ]);
    const r = await runCli([
      'proxy-status',
      '--plaintext',
      '--kubeconfig',
      kube.kubeconfig(),
      '--revision',
      'canary',
    ]);
    expect(r.stdout).toContain('c-0.shop');
    expect(r.stdout).not.toContain('x-0.shop');
    const none = await runCli([
      'proxy-status',
      '--plaintext',
      '--kubeconfig',
      kube.kubeconfig(),
      '-i',
      'elsewhere',
    ]);
    expect(none).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'Error: no running Istio pods in "elsewhere"\n',
    });
  });
});
