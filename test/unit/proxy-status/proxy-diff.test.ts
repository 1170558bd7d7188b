/**
 * `mesh proxy-status <pod>`: istiod's config for the proxy (its debug config_dump answer, from a stand-in
 * xDS server on the real protos) against the proxy's own (`-f` dump, or a stand-in CSDS endpoint). What
 * cannot be read on either side is named and never taken for "no clusters"; a type mesh cannot decode
 * is never a difference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startCsdsServer } from '../../support/csds-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { startXdsServer, type XdsStandIn } from '../../support/xds-server.js';

const T = 'type.googleapis.com/';
const CLUSTERS = `${T}envoy.admin.v3.ClustersConfigDump`;
const LISTENERS = `${T}envoy.admin.v3.ListenersConfigDump`;
const ROUTES = `${T}envoy.admin.v3.RoutesConfigDump`;
const CDS = `${T}envoy.config.cluster.v3.Cluster`;
const CC = `${T}envoy.service.status.v3.ClientConfig`;
const INTERNAL = `${T}envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport`;
const RAW_BUFFER = `${T}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;
const EXCHANGE = `${T}envoy.tcp.metadataexchange.config.MetadataExchange`; // Istio's own: no .proto ships
const NAME = 'inbound-vip|9080|http|ratings.default.svc.cluster.local';
const ID = 'catalog-0.shop';

const dir = mkdtempSync(join(tmpdir(), 'mesh-proxy-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 1));
  return p;
};

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

/** An istiod stand-in whose config_dump answer for the proxy holds `resources`. */
async function istiod(resources: unknown[]): Promise<XdsStandIn> {
  const s = await startXdsServer((req) => ({
    kind: 'respond',
    response: {
      type_url: req.type_url,
      version_info: 'v1',
      resources: req.resource_names?.[0] === ID ? resources : [],
    },
  }));
  closers.push(s);
  return s;
}

const clustersSection = (...clusters: unknown[]) => ({
  '@type': CLUSTERS,
  dynamic_active_clusters: clusters.map((cluster) => ({ cluster })),
});
const cluster = (extra: Record<string, unknown> = {}) => ({
  '@type': CDS,
  name: NAME,
  type: 'EDS',
  ...extra,
});
const dump = (...configs: unknown[]) => ({ configs });
const ps = (s: XdsStandIn, ...args: string[]) =>
  runCli(['proxy-status', ID, '--xds-address', s.address, '--plaintext', ...args]);

describe('proxy-status <kind>/<name>', () => {
  it('compares the pod a deployment/… names (its first running pod), as istioctl and pc accept it', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const kube = await startFakeKube({
      objects: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'catalog', namespace: 'shop' },
          spec: { selector: { matchLabels: { app: 'catalog' } } },
        },
        fakePod('catalog-0', 'shop', { labels: { app: 'catalog' } }),
      ],
    });
    closers.push(kube);
    const same = file('deploy.json', dump(clustersSection(cluster())));
    for (const target of ['deployment/catalog.shop', 'deploy/catalog']) {
      const r = await runCli([
        'proxy-status',
        target,
        ...(target.includes('.') ? [] : ['-n', 'shop']),
        '--xds-address',
        s.address,
        '--plaintext',
        '-f',
        same,
        '--kubeconfig',
        kube.kubeconfig(),
      ]);
      expect([r.code, r.stdout.split('\n')[0], r.stderr], target).toEqual([0, 'Clusters Match (1)', '']);
    }
    const missing = await runCli([
      'proxy-status',
      'deployment/nope.shop',
      '--xds-address',
      s.address,
      '--plaintext',
      '-f',
      same,
      '--kubeconfig',
      kube.kubeconfig(),
    ]);
    expect([missing.code, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toMatch(/^Error: .*deployments(\.apps)? "nope" not found/);
  });
});

describe('proxy-status <pod> when no replica answers', () => {
  it('the replica error is the error: not "no replica has config … is the proxy connected?"', async () => {
    const down = await startXdsServer(() => ({ kind: 'fail', code: 16, details: 'authentication required' }));
    closers.push(down);
    const r = await ps(down, '-f', file('any.json', dump(clustersSection(cluster()))), '--timeout', '5s');
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${down.address}: authentication rejected: authentication required\n` +
        'Hint: istiod accepts a Kubernetes token for audience istio-ca, or a client certificate (--cert-dir)\n',
    });
  });

  it('a replica that answers without config for the proxy: said so, with the hint to check the proxy is connected', async () => {
    const s = await istiod([]);
    const r = await runCli([
      'proxy-status',
      ID,
      '--xds-address',
      s.address,
      '--plaintext',
      '-f',
      file('any2.json', dump(clustersSection(cluster()))),
    ]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: no control-plane replica has config for proxy ${ID} (asked 1)\n` +
        'Hint: is the proxy connected? `mesh proxy-status` lists the proxies each replica knows\n',
    });
  });
});

describe('proxy-status <pod>: an answer or dump that cannot be read is named (exit 65)', () => {
  it('an istiod answer with no config dump section is not "Clusters Match (0)"', async () => {
    const s = await istiod([cluster()]);
    const r = await ps(s, '-f', file('empty.json', dump()));
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr:
        `Error: istiod ${s.address}: not a config dump: it has no ClustersConfigDump, ListenersConfigDump, ` +
        'RoutesConfigDump section (it holds envoy.config.cluster.v3.Cluster)\n',
    });
  });

  it('a resource beside the sections is named and left out', async () => {
    const s = await istiod([clustersSection(cluster()), cluster()]);
    const r = await ps(s, '-f', file('same.json', dump(clustersSection(cluster()))));
    expect(r.code).toBe(65);
    expect(r.stdout.split('\n')[0]).toBe('Clusters Match (1)');
    expect(r.stderr).toBe(
      `error: istiod ${s.address}: left out 1 envoy.config.cluster.v3.Cluster resource (not config dump sections)\n`,
    );
  });

  it('a -f file that is not a config dump is named, not read as "no clusters"', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const notDump = file('not-a-dump.json', { foo: 'bar' });
    expect(await ps(s, '-f', notDump)).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${notDump}: not a config dump: it has no ClustersConfigDump, ListenersConfigDump, RoutesConfigDump section\n`,
    });
  });

  it('a -f file that is not UTF-8 is refused at its line and column, as istioctl refuses it (was read, U+FFFD)', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const bad = file('not-utf8.json', dump(clustersSection(cluster())));
    const bytes = readFileSync(bad);
    bytes[bytes.indexOf('"version_info"') + 1] = 0xff;
    writeFileSync(bad, bytes);
    const r = await ps(s, '-f', bad);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: error unmarshalling config dump response from Envoy: ${bad}: line \\d+ column \\d+: invalid UTF-8 \\(byte 0xff\\)\\n$`,
      ),
    );
  });

  it('a damaged cluster section: its clusters are not compared, the damage named', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const damaged = file(
      'damaged.json',
      dump(
        { '@type': CLUSTERS, dynamic_active_clusters: 'oops' },
        { '@type': LISTENERS },
        { '@type': ROUTES },
      ),
    );
    const r = await ps(s, '-f', damaged);
    expect(r).toEqual({
      code: 65,
      stdout: [
        'Clusters Match in what could be read (0; 1 not compared)',
        'Listeners Match (0)',
        'Routes Match (0)',
        '',
        `No differences between istiod ${s.address} and proxy ${ID} in what both could read (compared no resources; 1 cluster not compared).`,
        `? cluster ${NAME}: only in istiod ${s.address}, not compared (not every cluster of proxy ${ID} could be read)`,
        '',
      ].join('\n'),
      stderr: `error: ${damaged}: line 5 column 31: ClustersConfigDump: dynamic_active_clusters must be a list, got "oops"\n`,
    });
  });
});

describe('proxy-status <pod>: types istiod keeps undecoded', () => {
  const transportSocket = {
    name: 'internal_upstream',
    typed_config: {
      '@type': INTERNAL,
      passthrough_metadata: [{ kind: { host: {} }, name: 'envoy.filters.listener.original_dst' }],
      transport_socket: { name: 'raw_buffer', typed_config: { '@type': RAW_BUFFER } },
    },
  };

  it('the same config is never a difference: decoded where mesh can, else named as not compared', async () => {
    // istiod's answer carries the Istio type as bytes (what mesh gets); the Envoy dump has it expanded
    const undecoded = { type_url: EXCHANGE, value: Buffer.from('0a0a6e616d657370616365', 'hex') };
    const expanded = { '@type': EXCHANGE, protocol: 'istio-peer-exchange' };
    const s = await istiod([
      clustersSection(
        cluster({
          transport_socket: transportSocket,
          filters: [{ name: 'istio.metadata_exchange', typed_config: undecoded }],
        }),
      ),
    ]);
    const proxy = cluster({
      transport_socket: transportSocket,
      filters: [{ name: 'istio.metadata_exchange', typed_config: expanded }],
    });
    const r = await ps(s, '-f', file('proxy.json', dump(clustersSection(proxy))));
    expect(r).toEqual({
      code: 0,
      stdout: [
        'Clusters Match (1)',
        'Listeners Match (0)',
        'Routes Match (0)',
        '',
        `No differences between istiod ${s.address} and proxy ${ID} in what mesh could decode (compared 1 cluster).`,
        `? 1 field not compared (cluster ${NAME}: filters[name=istio.metadata_exchange].typedConfig): it holds ${EXCHANGE}, which mesh cannot decode`,
        '',
      ].join('\n'),
      stderr: '',
    });
    // a real difference next to it is still found
    const other = cluster({
      transport_socket: transportSocket,
      filters: [{ name: 'istio.metadata_exchange', typed_config: expanded }],
      connect_timeout: '3s',
    });
    const d = await ps(s, '-f', file('other.json', dump(clustersSection(other))));
    expect(d.code).toBe(79);
    expect(d.stdout).toContain(`~ cluster ${NAME}: 1 field differs\n    connectTimeout: (absent) -> "3s"\n`);
  });
});

describe('proxy-status <pod>: control characters from istiod and the dump', () => {
  it('are escaped in the diff: none acts on the terminal, no line is forged', async () => {
    const evil = `${NAME}\u001b[2J\n+ cluster forged`;
    const s = await istiod([
      clustersSection({ '@type': CDS, name: evil, alt_stat_name: 'a\u001b]0;x\u0007' }),
    ]);
    const proxy = { '@type': CDS, name: evil, alt_stat_name: 'b\u009b31m' };
    const r = await ps(s, '-f', file('evil.json', dump(clustersSection(proxy))));
    expect(r.code).toBe(79);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout).toContain(
      `~ cluster ${NAME}\\x1b[2J\\n+ cluster forged: 1 field differs\n` +
        '    altStatName: "a\\u001b]0;x\\u0007" -> "b\\x9b31m"\n',
    );
  });
});

describe('proxy-status <pod> --csds-address', () => {
  const clientOf = (node: string, clusterName: string) => ({
    '@type': CC,
    node: { id: node },
    generic_xds_configs: [
      { type_url: CDS, name: clusterName, xds_config: { '@type': CDS, name: clusterName, type: 'EDS' } },
    ],
  });

  it("compares the proxy's own client among several, not the first one reported", async () => {
    const s = await istiod([clustersSection(cluster())]);
    const csds = await startCsdsServer([
      clientOf('sidecar~10.0.0.9~other-0.shop~shop.svc.cluster.local', 'other'),
      clientOf(`sidecar~10.0.0.7~${ID}~shop.svc.cluster.local`, NAME),
    ]);
    closers.push(csds);
    const r = await ps(s, '--csds-address', csds.address);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      'Clusters Match (1)\nListeners Match (0)\nRoutes Match (0)\n',
      '',
    ]);
  });

  it('without a pod it is refused before anything connects, as -f is (exit 64)', async () => {
    // it was ignored: `mesh ps --csds-address x` listed every proxy (or failed on the cluster, exit 1)
    const s = await istiod([clustersSection(cluster())]);
    for (const address of ['10.0.0.7:15000', 'x']) {
      const r = await runCli([
        'proxy-status',
        '--xds-address',
        s.address,
        '--plaintext',
        '--csds-address',
        address,
      ]);
      expect(r, address).toEqual({
        code: 64,
        stdout: '',
        stderr:
          'Error: proxy-status --csds-address needs a pod name: mesh proxy-status <pod> --csds-address host:port\n',
      });
    }
    expect(s.requests).toHaveLength(0);
  });

  it('one client whose Istio node id names another pod: an error, not "Match" against that pod', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const other = 'sidecar~10.0.0.9~catalog-1.shop~shop.svc.cluster.local';
    const csds = await startCsdsServer([clientOf(other, NAME)]);
    closers.push(csds);
    expect(await ps(s, '--csds-address', csds.address)).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: CSDS ${csds.address} reported 1 xDS client, none of them ${ID}: "${other}"\n`,
    });
    // drift --csds reads it the same way
    const drift = await runCli(['drift', '--csds', `${ID}=${csds.address}`]);
    expect([drift.code, drift.stdout, drift.stderr]).toEqual([
      1,
      '',
      `error: ${ID}: CSDS ${csds.address} reported 1 xDS client, none of them ${ID}: "${other}"\n`,
    ]);
    // a node id that is not Istio's (a proxyless client named otherwise) is still the only one, compared
    const plain = await startCsdsServer([clientOf('my-grpc-app', NAME)]);
    closers.push(plain);
    const r = await ps(s, '--csds-address', plain.address);
    expect([r.code, r.stdout.split('\n')[0]]).toEqual([0, 'Clusters Match (1)']);
  });

  it('several clients, none of them the proxy: an error naming the endpoint and what it reports', async () => {
    const s = await istiod([clustersSection(cluster())]);
    const csds = await startCsdsServer([clientOf('a-0.shop', 'x'), clientOf('b-0.shop', 'y')]);
    closers.push(csds);
    const r = await ps(s, '--csds-address', csds.address);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: CSDS ${csds.address} reported 2 xDS clients, none of them ${ID}: "a-0.shop", "b-0.shop"\n`,
    });
  });
});
