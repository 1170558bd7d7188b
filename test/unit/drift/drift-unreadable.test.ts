/**
 * `mesh drift -f` with a replica's dump that is partly unreadable (a damaged resource, a missing section):
 * what can be read is compared, what cannot is named on stderr (exit 65 unless drift is found, 79), and
 * a resource the other replica may hold unreadable is never drift. A live proxy whose answer cannot be
 * read at all is a proxy not read (exit 1), as one that cannot be reached.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';
import { driftInCluster, replica } from './sidecars.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const dir = mkdtempSync(join(tmpdir(), 'mesh-drift-unreadable-'));
const sidecar = () => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (dump: any, name: string) => dump.configs.find((c: any) => c['@type'] === ADMIN + name);
const write = (name: string, dump: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(dump, null, 2));
  return file;
};
const CLUSTER = 'inbound-vip|8000|http|httpbin.default.svc.cluster.local';

describe('mesh drift -f with a partly unreadable dump', () => {
  it('a damaged static cluster (the tester’s b.json): no false drift, the resource named, exit 65', async () => {
    const a = write('a.json', sidecar());
    const dump = sidecar();
    section(dump, 'ClustersConfigDump').static_clusters[0].cluster.name = { x: 1 };
    const b = write('b.json', dump);
    const args = ['drift', '-f', `web-0.shop=${a}`, '-f', `web-1.shop=${b}`];
    const error = `${b}: line 30 column 21: ClustersConfigDump: static_clusters[0].cluster.name must be a string, got {"x":1}`;
    expect(await runCli(args)).toEqual({
      code: 65,
      stdout: 'shop/web: 2 replicas, no drift in what could be read\n',
      stderr: `error: web-1.shop: ${error}\n`,
    });
    const json = await runCli([...args, '-o', 'json']);
    expect(json.code).toBe(65);
    expect(JSON.parse(json.stdout)).toEqual({
      workloads: [
        { workload: 'shop/web', replicas: ['web-0.shop', 'web-1.shop'], drifted: [], incomplete: true },
      ],
      errors: [{ id: 'web-1.shop', error }],
    });
  });

  it('drift next to a damaged cluster is still found (79); the readable replica is the reference', async () => {
    const dump = sidecar();
    section(dump, 'ClustersConfigDump').dynamic_active_clusters[0].cluster.name = ['x'];
    section(
      dump,
      'ListenersConfigDump',
    ).dynamic_listeners[0].active_state.listener.per_connection_buffer_limit_bytes = 1024;
    const damaged = write('web-0.json', dump);
    const fine = write('web-1.json', sidecar());
    const r = await runCli(['drift', '-f', `web-0.shop=${damaged}`, '-f', `web-1.shop=${fine}`]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 2 replicas drifted',
        '  --- web-1.shop',
        '  +++ web-0.shop',
        '  ~ listener main_internal: 1 field differs',
        '      perConnectionBufferLimitBytes: (absent) -> 1024',
        `  ? cluster ${CLUSTER}: only in web-1.shop, not compared (not every cluster of web-0.shop could be read)`,
        '  1 difference (compared 1 listener; 1 cluster not compared).',
        '',
      ].join('\n'),
      stderr: `error: web-0.shop: ${damaged}: line 88 column 21: ClustersConfigDump: dynamic_active_clusters[0].cluster.name must be a string, got ["x"]\n`,
    });
  });

  it('a section missing from one replica is named (65); missing from every replica, nothing differs (0)', async () => {
    const dump = sidecar();
    dump.configs = dump.configs.filter((c: any) => c['@type'] !== `${ADMIN}ClustersConfigDump`);
    const none = write('no-clusters.json', dump);
    const full = write('full.json', sidecar());
    const one = await runCli(['drift', '-f', `web-0.shop=${full}`, '-f', `web-1.shop=${none}`]);
    expect(one).toEqual({
      code: 65,
      stdout: 'shop/web: 2 replicas, no drift in what could be read\n',
      stderr: `error: web-1.shop: ${none}: config dump has no configuration type ${ADMIN}ClustersConfigDump\n`,
    });
    const both = await runCli(['drift', '-f', `web-0.shop=${none}`, '-f', `web-1.shop=${none}`]);
    expect(both).toEqual({ code: 0, stdout: 'shop/web: 2 replicas, no drift\n', stderr: '' });
  });
});

describe('mesh drift: a live proxy whose answer cannot be read', () => {
  it('an answer cut short (content-length of half the body) is a proxy not read: named, exit 1 (was 65)', async () => {
    const W: [string, string] = ['StatefulSet', 'web'];
    const r = await driftInCluster([
      { name: 'web-0', ip: '10.244.9.5', owner: W, dump: replica('web-0', '10.244.9.5') },
      { name: 'web-1', ip: '10.244.9.7', owner: W, dump: replica('web-1', '10.244.9.7') },
      {
        name: 'web-2',
        ip: '10.244.9.9',
        owner: W,
        dump: replica('web-2', '10.244.9.9'),
        fault: { kind: 'truncate' },
      },
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('shop/StatefulSet/web: 2 replicas, no drift\n');
    expect(r.stderr).toMatch(
      /^error: web-2\.shop: error unmarshalling config dump response from Envoy: web-2\.shop \/config_dump: unexpected end of JSON input \(truncated after \d+ bytes\)\n$/,
    );
  });
});
