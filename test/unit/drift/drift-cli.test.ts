/**
 * `mesh drift`: replicas of one workload compared after normalisation, with real sidecar config dumps
 * (istioctl's conformance dump). From saved dumps (--file), and from a cluster: proxy pods listed and
 * grouped by owner (ReplicaSet → Deployment) through the API stand-in, each Envoy read through a
 * port-forward to an admin stand-in serving its dump.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { conformanceDump, startEnvoyAdmin, type AdminServer } from '../../support/envoy-admin-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';

const base = () => conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json');
const CLUSTERS = 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump';

/** The same dump with one dynamic cluster's connect timeout changed (what a missed push looks like). */
function drifted(): any {
  const d = base();
  const clusters = d.configs.find((c: any) => c['@type'] === CLUSTERS);
  const dc = clusters.dynamic_active_clusters[0];
  dc.cluster.connect_timeout = '99s';
  dc.version_info = 'other-version';
  return { d, name: dc.cluster.name as string };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mesh-drift-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, dump: any): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(dump));
  return p;
}

describe('mesh drift --file', () => {
  it('identical replicas (versions and timestamps aside): no drift, exit 0', async () => {
    const other = base();
    for (const c of other.configs.find((x: any) => x['@type'] === CLUSTERS).dynamic_active_clusters)
      c.last_updated = '2030-01-01T00:00:00Z';
    const r = await runCli([
      'drift',
      '-f',
      `catalog-6f7d8c9b5d-abcde.shop=${file('a.json', base())}`,
      '-f',
      `catalog-6f7d8c9b5d-fghij.shop=${file('b.json', other)}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('shop/catalog: 2 replicas, no drift\n');
    expect(r.code).toBe(0);
  });

  it('one replica out of three differs: it is named with the field that differs, exit 79', async () => {
    const { d, name } = drifted();
    const args = [
      'drift',
      '-f',
      `catalog-0.shop=${file('c0.json', base())}`,
      '-f',
      `catalog-1.shop=${file('c1.json', d)}`,
      '-f',
      `catalog-2.shop=${file('c2.json', base())}`,
    ];
    const r = await runCli(args);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('shop/catalog: 1 of 3 replicas drifted');
    expect(r.stdout).toContain(`~ cluster ${name}: 1 field differs`);
    expect(r.stdout).toContain(`connectTimeout: (absent) -> "99s"`);
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout);
    expect(json.workloads[0].drifted.map((x: any) => [x.id, x.comparedWith])).toEqual([
      ['catalog-1.shop', 'catalog-0.shop'],
    ]);
  });

  it('an unreadable dump is named, the others still compared', async () => {
    const missing = join(dir, 'missing.json');
    const r = await runCli([
      'drift',
      '-f',
      `a-0.shop=${file('ok.json', base())}`,
      '-f',
      `a-1.shop=${missing}`,
    ]);
    // a dump file that does not exist: 66, as every command's missing input
    expect(r.code).toBe(66);
    expect(r.stdout).toContain('shop/a: 1 replica, no drift');
    // the proxy that could not be read is an error on stderr, not a line of the report
    expect(r.stderr).toBe(
      `error: a-1.shop: cannot read ${missing}: open ${missing}: no such file or directory\n`,
    );
    expect(r.stdout).not.toContain('error:');
    const bad = await runCli(['drift', '-f', 'no-equals-sign']);
    expect(bad.code).toBe(64);
  });

  it('a --file or --csds name without its namespace (or pod) is a usage error, not a guessed pod name', async () => {
    const dump = file('ok.json', base());
    for (const id of ['web-0', '.shop', 'web-0.']) {
      const r = await runCli(['drift', '-f', `${id}=${dump}`, '-f', `web-1.shop=${dump}`]);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], id).toEqual([
        64,
        '',
        `Error: invalid --file "${id}=${dump}": expected <pod>.<namespace>=<value>`,
      ]);
    }
    const csds = await runCli(['drift', '--csds', 'web-0=127.0.0.1:1']);
    expect(csds.code).toBe(64);
  });
});

describe('mesh drift (cluster)', () => {
  const closers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c.close()));
  });

  it('groups sidecars by Deployment through their ReplicaSets and reads each Envoy through a port-forward', async () => {
    const { d } = drifted();
    const admins: Record<string, AdminServer> = {};
    for (const [pod, dump] of [
      ['web-7c9d-aaaaa', base()],
      ['web-7c9d-bbbbb', d],
      ['web-6b5c-ccccc', base()],
      ['db-0', base()],
    ] as const) {
      admins[pod] = await startEnvoyAdmin({ dump });
      closers.push(admins[pod]!);
    }
    const owned = (name: string, kind: string, owner: string) => {
      const p = fakePod(name, 'shop', { labels: { app: name.split('-')[0]! } });
      p.metadata.ownerReferences = [{ kind, name: owner, controller: true }];
      return p;
    };
    const rs = (name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: 'shop',
        ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }],
      },
    });
    const kube = await startFakeKube({
      objects: [
        owned('web-7c9d-aaaaa', 'ReplicaSet', 'web-7c9d'),
        owned('web-7c9d-bbbbb', 'ReplicaSet', 'web-7c9d'),
        owned('web-6b5c-ccccc', 'ReplicaSet', 'web-6b5c'),
        owned('db-0', 'StatefulSet', 'db'),
        rs('web-7c9d'),
        rs('web-6b5c'),
      ],
      forward: (_ns, pod) => Number(new URL(admins[pod]!.url).port),
    });
    closers.push(kube);
    const r = await runCli(['drift', '--kubeconfig', kube.kubeconfig({ namespace: 'shop' })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(79);
    expect(r.stdout.split('\n')[0]).toBe('shop/Deployment/web: 1 of 3 replicas drifted');
    expect(r.stdout).toContain('--- web-6b5c-ccccc.shop');
    expect(r.stdout).toContain('+++ web-7c9d-bbbbb.shop');
    expect(r.stdout).toContain('shop/StatefulSet/db: 1 replica, no drift');
  });

  it('says so on stderr when no proxy matched (stdout stays empty, as certs and kubectl), exit 0', async () => {
    const kube = await startFakeKube({ objects: [] });
    closers.push(kube);
    const r = await runCli(['drift', '--kubeconfig', kube.kubeconfig({ namespace: 'ghost' })]);
    expect(r.stderr).toBe('No proxies found.\n');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});
