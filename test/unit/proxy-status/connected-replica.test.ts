/**
 * `mesh proxy-status <pod>` with several istiod replicas that have config for the pod (a proxyless gRPC
 * process with an xDS client on each, one replica cut off the API server so their configs differ): the
 * comparison is with the replica the proxy is connected to, the one that sent the versions the proxy
 * holds (its config_dump answer's version_info, or the nonces of its syncz debug page); when that cannot
 * be told and the replicas' configs differ, a warning names them. Every istiod pod is reached through the
 * API server stand-in's port-forward; the replicas and the pod's CSDS endpoint are stand-ins on the real
 * protos.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startCsdsServer } from '../../support/csds-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { startXdsServer } from '../../support/xds-server.js';

const T = 'type.googleapis.com/';
const CC = `${T}envoy.service.status.v3.ClientConfig`;
const CDS = `${T}envoy.config.cluster.v3.Cluster`;
const CLUSTERS = `${T}envoy.admin.v3.ClustersConfigDump`;
const ID = 'catalog-0.shop';
const NAME = 'outbound|8080||catalog.shop.svc.cluster.local';
const UUID = '0b7f4c1e-5d2a-4e8b-9a61-3f2c7d9e1a45';

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

/** The catalog cluster as a replica sends it: `seconds` tells the replicas' configs apart. */
const cluster = (seconds: string) => ({
  '@type': CDS,
  name: NAME,
  type: 'EDS',
  connect_timeout: { seconds },
});

interface Replica {
  pod: string;
  /** The version_info of its config_dump answer (its last push to the proxy's connection). */
  version: string;
  seconds: string;
  /** Its syncz debug page (`istio.io/debug`, resource `syncz`), if it shows one. */
  page?: unknown[];
}

/** An istiod replica: syncz lists the proxy, config_dump has its cluster, and the syncz debug page. */
async function replica(r: Replica): Promise<number> {
  const identifier = JSON.stringify({ Component: 'istiod', ID: r.pod, Info: { version: '1.31.0' } });
  const s = await startXdsServer((req) => {
    if (req.type_url === 'istio.io/debug/syncz')
      return {
        kind: 'respond',
        response: {
          type_url: req.type_url,
          control_plane: { identifier },
          resources: [
            {
              '@type': CC,
              node: {
                id: ID,
                metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: 'shop', ISTIO_VERSION: '1.31.0' },
              },
              generic_xds_configs: [{ type_url: CDS, config_status: 'SYNCED' }],
            },
          ],
        },
      };
    if (req.type_url === 'istio.io/debug') {
      if (!r.page) return { kind: 'fail', code: 16, details: 'authentication required' };
      const value = Buffer.from(JSON.stringify(r.page));
      return {
        kind: 'respond',
        response: { type_url: req.type_url, resources: [{ type_url: 'istio.io/debug', value }] },
      };
    }
    return {
      kind: 'respond',
      response: {
        type_url: req.type_url,
        resources:
          req.resource_names?.[0] === ID
            ? [
                {
                  '@type': CLUSTERS,
                  version_info: r.version,
                  dynamic_active_clusters: [{ cluster: cluster(r.seconds) }],
                },
              ]
            : [],
      },
    };
  });
  closers.push(s);
  return Number(s.address.split(':')[1]);
}

/** Two replicas behind the API server stand-in; returns its kubeconfig. */
async function controlPlane(replicas: Replica[]): Promise<string> {
  const ports = new Map<string, number>();
  for (const r of replicas) ports.set(r.pod, await replica(r));
  const kube = await startFakeKube({
    objects: replicas.map((r) => fakePod(r.pod, 'istio-system', { labels: { app: 'istiod' }, proxy: false })),
    forward: (_ns, pod) => ports.get(pod)!,
  });
  closers.push(kube);
  return kube.kubeconfig();
}

/** The pod's CSDS endpoint: its one xDS client holds the cluster as sent with `version`. */
async function csds(version: string, seconds: string): Promise<string> {
  const s = await startCsdsServer([
    {
      '@type': CC,
      node: { id: ID },
      client_scope: 'xds:///catalog',
      generic_xds_configs: [
        { type_url: CDS, name: NAME, version_info: version, xds_config: cluster(seconds) },
      ],
    },
  ]);
  closers.push(s);
  return s.address;
}

const psPod = (kubeconfig: string, csdsAddress: string) =>
  runCli(['proxy-status', ID, '--plaintext', '--kubeconfig', kubeconfig, '--csds-address', csdsAddress]);

const MATCH = 'Clusters Match (1)\nListeners Match (0)\nRoutes Match (0)\n';

describe('mesh proxy-status <pod>: several replicas have config for the pod', () => {
  it('compares with the replica that sent the versions the proxy holds, not the first by name', async () => {
    // istiod-b (first by name) was cut off the API server: its config is the old one
    const kubeconfig = await controlPlane([
      { pod: 'istiod-b', version: '2026-12-04T20:00:00Z/3', seconds: '1' },
      { pod: 'istiod-e2e', version: '2026-12-04T21:00:00Z/9', seconds: '5' },
    ]);
    const r = await psPod(kubeconfig, await csds('2026-12-04T21:00:00Z/9', '5'));
    expect(r).toEqual({ code: 0, stdout: MATCH, stderr: '' });
    // an Envoy config dump (-f) keeps the version with each resource too
    const dir = mkdtempSync(join(tmpdir(), 'mesh-connected-'));
    closers.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
    const dump = join(dir, 'dump.json');
    writeFileSync(
      dump,
      JSON.stringify({
        configs: [
          {
            '@type': CLUSTERS,
            version_info: '2026-12-04T21:00:00Z/9',
            dynamic_active_clusters: [
              {
                version_info: '2026-12-04T21:00:00Z/9',
                // protobuf JSON, as Envoy writes it: a Duration is a string
                cluster: { ...cluster('5'), connect_timeout: '5s' },
              },
            ],
          },
        ],
      }),
    );
    const file = await runCli(['proxy-status', ID, '--plaintext', '--kubeconfig', kubeconfig, '-f', dump]);
    expect(file).toEqual({ code: 0, stdout: MATCH, stderr: '' });
  });

  it("a replica's syncz page: the version of the nonce the proxy acknowledged (its last push to it is newer)", async () => {
    const kubeconfig = await controlPlane([
      {
        pod: 'istiod-b',
        version: '2026-12-04T20:00:00Z/3',
        seconds: '1',
        page: [
          {
            proxy: ID,
            cluster_sent: `2026-12-04T20:00:00Z/3${UUID}`,
            cluster_acked: `2026-12-04T20:00:00Z/3${UUID}`,
          },
        ],
      },
      {
        pod: 'istiod-e2e',
        // a later push did not change the proxy's clusters: it still holds those of version /8
        version: '2026-12-04T21:05:00Z/12',
        seconds: '5',
        page: [
          { proxy: 'cart-0.shop', cluster_acked: `2026-12-04T21:00:00Z/7${UUID}` },
          {
            proxy: ID,
            cluster_sent: `2026-12-04T21:00:00Z/8${UUID}`,
            cluster_acked: `2026-12-04T21:00:00Z/8${UUID}`,
          },
        ],
      },
    ]);
    const r = await psPod(kubeconfig, await csds('2026-12-04T21:00:00Z/8', '5'));
    expect(r).toEqual({ code: 0, stdout: MATCH, stderr: '' });
  });

  it('when that cannot be told and their configs differ, a warning names the replicas (compared with the first)', async () => {
    const kubeconfig = await controlPlane([
      { pod: 'istiod-b', version: '2026-12-04T20:00:00Z/3', seconds: '1' },
      { pod: 'istiod-e2e', version: '2026-12-04T21:00:00Z/9', seconds: '5' },
    ]);
    // a version neither replica says it sent
    const r = await psPod(kubeconfig, await csds('2026-12-04T19:00:00Z/1', '5'));
    expect(r.code).toBe(79);
    expect(r.stdout.split('\n')[0]).toBe("Clusters Don't Match (1 of 1 differ)");
    expect(r.stdout).toContain('istiod istiod-b');
    expect(r.stderr).toBe(
      `warning: replicas istiod-b and istiod-e2e have different config for ${ID}, and which one the proxy ` +
        'is connected to cannot be told (none of them sent a version the proxy holds): compared with ' +
        "istiod-b's; a difference may be between the replicas, not the proxy\n",
    );

    // replicas that agree need no warning: the comparison holds whichever the proxy reads
    await Promise.all(closers.splice(0).map((c) => c.close()));
    const same = await controlPlane([
      { pod: 'istiod-b', version: '2026-12-04T20:00:00Z/3', seconds: '5' },
      { pod: 'istiod-e2e', version: '2026-12-04T21:00:00Z/9', seconds: '5' },
    ]);
    expect(await psPod(same, await csds('2026-12-04T19:00:00Z/1', '5'))).toEqual({
      code: 0,
      stdout: MATCH,
      stderr: '',
    });
  });
});
