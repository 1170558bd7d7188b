/**
 * `mesh drift --csds` / `-f`: what the proxies' inputs hold and how they are named. Struct values of
 * every kind compare as what they are, the CSDS client of the pod is the one compared, a proxy given
 * twice or a name no pod can have is a usage error, and names from the dumps cannot act on the terminal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startCsdsServer, type CsdsStandIn } from '../../support/csds-server.js';

const T = 'type.googleapis.com/';
const CC = `${T}envoy.service.status.v3.ClientConfig`;
const CDS = `${T}envoy.config.cluster.v3.Cluster`;
const CLUSTERS = `${T}envoy.admin.v3.ClustersConfigDump`;
const NAME = 'outbound|8080||catalog.shop.svc.cluster.local';

const dir = mkdtempSync(join(tmpdir(), 'mesh-drift-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(content));
  return p;
};
const dump = (...clusters: unknown[]) => ({
  configs: [{ '@type': CLUSTERS, dynamic_active_clusters: clusters.map((cluster) => ({ cluster })) }],
});

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

const clientConfig = (node: string, cluster: Record<string, unknown>) => ({
  '@type': CC,
  node: { id: node },
  generic_xds_configs: [{ type_url: CDS, name: cluster.name, xds_config: { '@type': CDS, ...cluster } }],
});

async function csds(...configs: Array<Record<string, unknown>>): Promise<CsdsStandIn> {
  const s = await startCsdsServer(configs);
  closers.push(s);
  return s;
}

describe('mesh drift --csds', () => {
  it('numbers and booleans in a Struct are compared as what they are (were all "": no drift)', async () => {
    const cluster = (port: number, enabled: boolean) => ({
      name: NAME,
      type: 'EDS',
      metadata: { filter_metadata: { istio: { default_original_port: port, enabled } } },
    });
    const a = await csds(clientConfig('web-0.shop', cluster(8080, true)));
    const b = await csds(clientConfig('web-1.shop', cluster(9090, false)));
    const r = await runCli([
      'drift',
      '--csds',
      `web-0.shop=${a.address}`,
      '--csds',
      `web-1.shop=${b.address}`,
    ]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 2 replicas drifted',
        '  --- web-0.shop',
        '  +++ web-1.shop',
        `  ~ cluster ${NAME}: 2 fields differ`,
        '      metadata.filterMetadata.istio.default_original_port: 8080 -> 9090',
        '      metadata.filterMetadata.istio.enabled: true -> false',
        '  1 difference (compared 1 cluster).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it("compares the pod's own client; an endpoint with none is named, not taken for empty config", async () => {
    const cluster = { name: NAME, type: 'EDS' };
    const other = { name: 'other', type: 'STATIC' };
    const a = await csds(
      clientConfig('sidecar~10.0.0.8~elsewhere-0.shop~shop.svc.cluster.local', other),
      clientConfig('sidecar~10.0.0.7~web-0.shop~shop.svc.cluster.local', cluster),
    );
    const b = await csds(clientConfig('web-1.shop', cluster));
    const empty = await csds();
    const args = ['drift', '--csds', `web-0.shop=${a.address}`, '--csds', `web-1.shop=${b.address}`];
    expect(await runCli(args)).toEqual({ code: 0, stdout: 'shop/web: 2 replicas, no drift\n', stderr: '' });
    expect(await runCli([...args, '--csds', `web-2.shop=${empty.address}`])).toEqual({
      code: 1,
      stdout: 'shop/web: 2 replicas, no drift\n',
      stderr: `error: web-2.shop: CSDS ${empty.address} reported no xDS client\n`,
    });
  });
  // The pod's own IPs were replaced for live proxies and -f dumps, not for CSDS: a gRPC server listening on
  // its pod IP made every replica drift.
  it("replaces the pod's own IPs (node id and INSTANCE_IPS) as for live proxies: a server listener on the pod IP is no drift", async () => {
    const LDS = `${T}envoy.config.listener.v3.Listener`;
    const withListener = (pod: string, ip: string, extra: string) => {
      const listener = {
        name: `xds.istio.io/grpc/lds/inbound/${ip}:8080`,
        address: { socket_address: { address: extra, port_value: 8080 } },
      };
      return {
        '@type': CC,
        node: {
          id: `sidecar~${ip}~${pod}.shop~shop.svc.cluster.local`,
          metadata: { INSTANCE_IPS: `${ip},${extra}` },
        },
        generic_xds_configs: [
          { type_url: LDS, name: listener.name, xds_config: { '@type': LDS, ...listener } },
        ],
      };
    };
    const a = await csds(withListener('web-0', '10.0.0.7', 'fd00::7'));
    const b = await csds(withListener('web-1', '10.0.0.8', 'fd00::8'));
    const args = ['drift', '--csds', `web-0.shop=${a.address}`, '--csds', `web-1.shop=${b.address}`];
    expect(await runCli(args)).toEqual({ code: 0, stdout: 'shop/web: 2 replicas, no drift\n', stderr: '' });
  });
});

describe('mesh drift -f: usage errors before anything is read (exit 64)', () => {
  it('a proxy given twice is named (the second silently replaced the first)', async () => {
    const a = file('a.json', dump({ '@type': CDS, name: NAME }));
    const b = file('b.json', dump({ '@type': CDS, name: NAME, type: 'EDS' }));
    const r = await runCli([
      'drift',
      '-f',
      `web-0.shop=${a}`,
      '-f',
      `web-0.shop=${b}`,
      '-f',
      `web-1.shop=${a}`,
    ]);
    expect([r.code, r.stdout, r.stderr.split('\n')[0]]).toEqual([
      64,
      '',
      `Error: proxy web-0.shop is given twice: -f web-0.shop=${a}, -f web-0.shop=${b}`,
    ]);
  });

  it('a pod or namespace no pod can have, or a CSDS port out of range, names the flag', async () => {
    for (const [args, error] of [
      [['-f', 'Web_0.SHOP=dump.json'], 'invalid --file "Web_0.SHOP=dump.json": "Web_0" is not a pod name'],
      [['-f', 'web-0.SHOP=dump.json'], 'invalid namespace "SHOP" in "web-0.SHOP=dump.json"'],
      [
        ['--csds', 'a-0.b=127.0.0.1:70000'],
        'invalid --csds "127.0.0.1:70000": port 70000 is not in 1..65535',
      ],
      [['--csds', 'a-0.b=http://x y'], 'invalid --csds "http://x y"'],
    ] as const) {
      const r = await runCli(['drift', ...args]);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([
        64,
        '',
        `Error: ${error}`,
      ]);
    }
  });
});

describe('mesh drift -f: control characters in the dumps', () => {
  it('are escaped in the report: none acts on the terminal, no line is forged', async () => {
    const evil = 'evil\u001b]0;pwned\u0007\u001b[2J\n  + cluster forged\u2028';
    const a = file('plain.json', dump({ '@type': CDS, name: NAME }));
    const b = file('evil.json', dump({ '@type': CDS, name: NAME }, { '@type': CDS, name: evil }));
    const r = await runCli(['drift', '-f', `web-0.shop=${a}`, '-f', `web-1.shop=${b}`]);
    expect(r.code).toBe(79);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(r.stdout).toContain(
      '  + cluster evil\\x1b]0;pwned\\x07\\x1b[2J\\n  + cluster forged\\u2028: only in web-1.shop\n',
    );
  });
});
