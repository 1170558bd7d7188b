/**
 * `mesh drift` and the order of things in a config dump. Envoy lists listeners and clusters in the order
 * they were added, so a replica that restarted later lists them otherwise: that is no drift (it was: "1 of
 * 3 replicas drifted" with "No differences", exit 79), and it must not split the majority. Filters run in
 * list order: another filter order is drift, and the diff says which filters moved.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { dumpDir, inboundHttpFilters, listener, reordered, replica, section, weights } from './sidecars.js';

const { dir, write } = dumpDir('mesh-drift-order-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POD = (s: string) => `web-7d4b9c8f6d-${s}`;
const f = (pod: string, file: string) => ['-f', `${pod}.shop=${file}`];

describe('mesh drift: resources in another order', () => {
  it('listeners and clusters listed in another order are no drift (exit 0, JSON too)', async () => {
    const args = [
      'drift',
      ...f(POD('bcdfg'), write('a.json', replica(POD('bcdfg'), '10.244.9.5'))),
      ...f(
        POD('hjklm'),
        write('b.json', reordered(replica(POD('hjklm'), '10.244.9.7'), [5, 4, 3, 2, 1, 0], 3)),
      ),
      ...f(POD('npqrs'), write('c.json', replica(POD('npqrs'), '10.244.9.9'))),
    ];
    expect(await runCli(args)).toEqual({ code: 0, stdout: 'shop/web: 3 replicas, no drift\n', stderr: '' });
    const json = await runCli([...args, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).workloads).toEqual([
      {
        workload: 'shop/web',
        replicas: [`${POD('bcdfg')}.shop`, `${POD('hjklm')}.shop`, `${POD('npqrs')}.shop`],
        drifted: [],
      },
    ]);
  });

  it('three healthy replicas in three listener orders outvote two stale ones in one order', async () => {
    const healthy = [
      [1, 2, 3, 4, 5, 0],
      [0, 1, 2, 3, 4, 5],
      [2, 0, 1, 5, 4, 3],
    ];
    const args = ['drift'];
    healthy.forEach((order, i) => {
      const pod = `web-${i}`;
      args.push(...f(pod, write(`healthy-${i}.json`, reordered(replica(pod, `10.244.9.${i + 1}`), order))));
    });
    for (const i of [3, 4]) {
      const pod = `web-${i}`;
      args.push(...f(pod, write(`stale-${i}.json`, weights(replica(pod, `10.244.9.${i + 1}`), 50, 50))));
    }
    const r = await runCli(args);
    const V =
      'virtualHosts[name=catalog.shop.svc.cluster.local:8080].routes[name=default].route.weightedClusters.clusters';
    const diff = (pod: string) => [
      '  --- web-0.shop',
      `  +++ ${pod}.shop`,
      '  ~ route 8080: 2 fields differ',
      `      ${V}[name=outbound|8080|v1|catalog.shop.svc.cluster.local].weight: 90 -> 50`,
      `      ${V}[name=outbound|8080|v2|catalog.shop.svc.cluster.local].weight: 10 -> 50`,
      '  1 difference (compared 8 clusters, 6 listeners, 1 route).',
    ];
    expect(r).toEqual({
      code: 79,
      stdout: ['shop/web: 2 of 5 replicas drifted', ...diff('web-3'), ...diff('web-4'), ''].join('\n'),
      stderr: '',
    });
  });
});

describe('mesh drift: filter order', () => {
  const HCM = 'filterChains[0].filters[name=envoy.filters.network.http_connection_manager]';

  it('RBAC after fault rather than before (EnvoyFilter INSERT_AFTER vs INSERT_BEFORE) is drift, the order shown', async () => {
    const swapped = replica('web-1', '10.244.9.7');
    const hf = inboundHttpFilters(swapped);
    [hf[1], hf[2]] = [hf[2], hf[1]];
    const r = await runCli([
      'drift',
      ...f('web-0', write('rbac-first.json', replica('web-0', '10.244.9.5'))),
      ...f('web-1', write('fault-first.json', swapped)),
    ]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 2 replicas drifted',
        '  --- web-0.shop',
        '  +++ web-1.shop',
        '  ~ listener virtualInbound: 1 field differs',
        `      ${HCM}.typedConfig.httpFilters (order): ["envoy.filters.http.rbac","envoy.filters.http.fault"] -> ["envoy.filters.http.fault","envoy.filters.http.rbac"]`,
        '  1 difference (compared 8 clusters, 6 listeners, 1 route).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('network filters and listener filters in another order are drift too', async () => {
    const other = replica('web-1', '10.244.9.7');
    const outbound = listener(other, 'virtualOutbound').filter_chains[0].filters;
    outbound.reverse();
    listener(other, 'virtualInbound').listener_filters.reverse();
    const r = await runCli([
      'drift',
      ...f('web-0', write('in-order.json', replica('web-0', '10.244.9.5'))),
      ...f('web-1', write('reversed.json', other)),
    ]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 2 replicas drifted',
        '  --- web-0.shop',
        '  +++ web-1.shop',
        '  ~ listener virtualInbound: 1 field differs',
        '      listenerFilters (order): ["envoy.filters.listener.original_dst","envoy.filters.listener.tls_inspector"] -> ["envoy.filters.listener.tls_inspector","envoy.filters.listener.original_dst"]',
        '  ~ listener virtualOutbound: 1 field differs',
        '      filterChains[name=virtualOutbound-catchall-tcp].filters (order): ["istio.stats","envoy.filters.network.tcp_proxy"] -> ["envoy.filters.network.tcp_proxy","istio.stats"]',
        '  2 differences (compared 8 clusters, 6 listeners, 1 route).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  // Envoy takes a virtual host's first matching route: a VirtualService's http routes in another order
  // (a canary match after the catch-all) send requests elsewhere.
  it("a virtual host's routes in another order are drift, the order shown", async () => {
    const withCanary = (d: any, canaryFirst: boolean) => {
      const route = section(d, 'RoutesConfigDump').dynamic_route_configs[0].route_config;
      const vh = route.virtual_hosts[0];
      const canary = {
        name: 'canary',
        match: { prefix: '/', headers: [{ name: 'x-canary', exact_match: 'true' }] },
        route: { cluster: 'outbound|8080|v2|catalog.shop.svc.cluster.local' },
      };
      vh.routes = canaryFirst ? [canary, ...vh.routes] : [...vh.routes, canary];
      return d;
    };
    const args = ['drift'];
    ['bcdfg', 'hjklm', 'npqrs'].forEach((s, i) => {
      const d = withCanary(replica(POD(s), `10.244.9.${i + 1}`), i !== 2);
      args.push(...f(POD(s), write(`routes-${s}.json`, d)));
    });
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(79);
    expect(r.stdout).toContain('shop/web: 1 of 3 replicas drifted');
    expect(r.stdout).toContain(
      'virtualHosts[name=catalog.shop.svc.cluster.local:8080].routes (order): ["canary","default"] -> ["default","canary"]',
    );
  });
});
