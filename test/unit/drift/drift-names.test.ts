/**
 * `mesh drift -f` / `--csds`: without pod objects a replica's workload is its pod name less one suffix,
 * the first that applies: a Deployment pod's ReplicaSet hash and random suffix, a DaemonSet's or Job's
 * random suffix (5 characters of Kubernetes' vowel-free alphabet), a StatefulSet ordinal.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { dumpDir, replica, weights } from './sidecars.js';

const { dir, write } = dumpDir('mesh-drift-names-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = (pod: string, dump: unknown) => ['-f', `${pod}.shop=${write(`${pod}.json`, dump)}`];
const V =
  'virtualHosts[name=catalog.shop.svc.cluster.local:8080].routes[name=default].route.weightedClusters.clusters';

describe('mesh drift -f: workloads from pod names', () => {
  it('Deployments redis-1 and redis-2 are two workloads (were merged into shop/redis and drifted)', async () => {
    const r = await runCli([
      'drift',
      ...f('redis-1-7d4b9c8f6d-abcde', replica('redis-1-7d4b9c8f6d-abcde', '10.244.9.5')),
      ...f('redis-2-6c5b8d7f4e-fghij', weights(replica('redis-2-6c5b8d7f4e-fghij', '10.244.9.7'), 50, 50)),
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: 'shop/redis-1: 1 replica, no drift\nshop/redis-2: 1 replica, no drift\n',
      stderr: '',
    });
  });

  it('DaemonSet pods (name and 5 random characters) are one workload: drift between them is found', async () => {
    const r = await runCli([
      'drift',
      ...f('node-agent-x7k2p', replica('node-agent-x7k2p', '10.244.1.20')),
      ...f('node-agent-9qzmd', replica('node-agent-9qzmd', '10.244.2.20')),
      ...f('node-agent-b4n8w', weights(replica('node-agent-b4n8w', '10.244.3.20'), 50, 50)),
      ...f('node-exporter-x7k2p', replica('node-exporter-x7k2p', '10.244.1.21')),
    ]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/node-agent: 1 of 3 replicas drifted',
        '  --- node-agent-9qzmd.shop',
        '  +++ node-agent-b4n8w.shop',
        '  ~ route 8080: 2 fields differ',
        `      ${V}[name=outbound|8080|v1|catalog.shop.svc.cluster.local].weight: 90 -> 50`,
        `      ${V}[name=outbound|8080|v2|catalog.shop.svc.cluster.local].weight: 10 -> 50`,
        '  1 difference (compared 8 clusters, 6 listeners, 1 route).',
        'shop/node-exporter: 1 replica, no drift',
        '',
      ].join('\n'),
      stderr: '',
    });
  });
});
