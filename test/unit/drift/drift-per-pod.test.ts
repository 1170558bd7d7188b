/**
 * `mesh drift` and what is each pod's own: its name and IPs (placeholders, from the pod object or, for
 * `-f`, from the dump's bootstrap), and the listeners istiod builds for the other replicas of a
 * StatefulSet behind a headless Service (one per endpoint IP but the proxy's own). Neither is drift; the
 * root certificates are compared from `-f` dumps as from live proxies.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import {
  CASSANDRA,
  ROOT2,
  driftInCluster,
  dumpDir,
  headlessPeer,
  inboundOnPodIp,
  replica,
  trusting,
  weights,
} from './sidecars.js';

const { dir, write } = dumpDir('mesh-drift-per-pod-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = (pod: string, file: string) => ['-f', `${pod}.shop=${file}`];
/** cassandra-<i>, an endpoint of the headless Service, with the listeners of its siblings only. */
const cassandra = (i: number) => headlessPeer(replica(`cassandra-${i}`, CASSANDRA[i]!), CASSANDRA[i]!);

describe('mesh drift: a StatefulSet behind a headless TCP Service', () => {
  it('-f: each replica has listeners for its siblings’ IPs only: no drift (was 2 of 3 drifted)', async () => {
    const args = ['drift'];
    for (const i of [0, 1, 2]) args.push(...f(`cassandra-${i}`, write(`cassandra-${i}.json`, cassandra(i))));
    expect(await runCli(args)).toEqual({
      code: 0,
      stdout: 'shop/cassandra: 3 replicas, no drift\n',
      stderr: '',
    });
  });

  it('cluster: the same from the pods’ IPs; a real difference beside them is still found', async () => {
    const pods = [0, 1, 2].map((i) => ({
      name: `cassandra-${i}`,
      ip: CASSANDRA[i]!,
      owner: ['StatefulSet', 'cassandra'] as [string, string],
      dump: i === 2 ? weights(cassandra(i), 50, 50) : cassandra(i),
    }));
    const r = await driftInCluster(pods);
    const V =
      'virtualHosts[name=catalog.shop.svc.cluster.local:8080].routes[name=default].route.weightedClusters.clusters';
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/StatefulSet/cassandra: 1 of 3 replicas drifted',
        '  --- cassandra-0.shop',
        '  +++ cassandra-2.shop',
        '  ~ route 8080: 2 fields differ',
        `      ${V}[name=outbound|8080|v1|catalog.shop.svc.cluster.local].weight: 90 -> 50`,
        `      ${V}[name=outbound|8080|v2|catalog.shop.svc.cluster.local].weight: 10 -> 50`,
        '  1 difference (compared 8 clusters, 3 listeners, 1 route).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('cluster: a listener on the pod’s own IP is compared with the IP as a placeholder, whatever its length', async () => {
    // the pod name is longer than one IP and shorter than the other: the placeholders were numbered by
    // length, so the two replicas' own listeners got different ones (1 of 2 drifted)
    const pods = [
      ['cassandra-0', '10.244.7.5'],
      ['cassandra-1', '10.244.70.15'],
    ].map(([name, ip]) => ({
      name: name!,
      ip: ip!,
      owner: ['StatefulSet', 'cassandra'] as [string, string],
      dump: inboundOnPodIp(replica(name!, ip!), ip!),
    }));
    expect(await driftInCluster(pods)).toEqual({
      code: 0,
      stdout: 'shop/StatefulSet/cassandra: 2 replicas, no drift\n',
      stderr: '',
    });
  });
});

describe('mesh drift -f: what the dump’s bootstrap says of the pod', () => {
  it('a listener on the pod’s own IP (from the node id and INSTANCE_IPS) is no drift (was exit 79)', async () => {
    const r = await runCli([
      'drift',
      ...f('web-0', write('ip-a.json', inboundOnPodIp(replica('web-0', '10.244.9.5'), '10.244.9.5'))),
      ...f('web-1', write('ip-b.json', inboundOnPodIp(replica('web-1', '10.244.9.7'), '10.244.9.7'))),
    ]);
    expect(r).toEqual({ code: 0, stdout: 'shop/web: 2 replicas, no drift\n', stderr: '' });
  });

  it('other root certificates are drift, as from live proxies (was no drift, exit 0)', async () => {
    const args = [
      'drift',
      ...f('web-0', write('root1-a.json', replica('web-0', '10.244.9.5'))),
      ...f('web-1', write('root2.json', trusting(replica('web-1', '10.244.9.7'), ROOT2))),
      ...f('web-2', write('root1-b.json', replica('web-2', '10.244.9.9'))),
    ];
    expect(await runCli(args)).toEqual({
      code: 79,
      stdout:
        'shop/web: 1 of 3 replicas drifted\n  web-1.shop: trusts other root certificates than web-0.shop\n',
      stderr: '',
    });
    const json = await runCli([...args, '-o', 'json']);
    expect(JSON.parse(json.stdout).workloads[0].drifted).toEqual([
      { id: 'web-1.shop', comparedWith: 'web-0.shop', rootsDiffer: true },
    ]);
  });
});
