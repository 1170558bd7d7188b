// Commands that target pods, on the real path: mesh lists and gets pods from the real kube-apiserver,
// then port-forwards through it (`pods/portforward`, relayed to kwok's kubelet API) to a stand-in
// Envoy admin server serving a real Envoy dump. What they print must be what the same dump gives from
// `--file`, and what the testbed's istioctl prints for the same pod.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeCa, makeWorkloadCert, secretsDump } from '../support/certs.js';
import { CONFORMANCE, startEnvoyAdmin, type AdminServer } from '../support/envoy-admin-server.js';
import { clientsFor, type Clients, uniqueName } from './support/kube.js';
import { createSidecarPods, portOf } from './support/sidecars.js';
import { startTestbed, type Testbed } from './support/testbed.js';

// Its own testbed with nodes: pods of other files stay out of `certs -A`, and these stay out of theirs.
let testbed: Testbed;
let c: Clients;
let kube: string[];
const tmp = mkdtempSync(join(tmpdir(), 'mesh-e2e-pods-'));

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const AUTHZ = join(CONFORMANCE, 'istioctl/pkg/authz/testdata/configdump.yaml');
const SECRETS = join(CONFORMANCE, 'istioctl/pkg/writer/envoy/configdump/testdata/secret');
const ISTIO_ROOTS = join(SECRETS, 'istio/config_dump.json');
const SPIRE_ROOTS = join(SECRETS, 'spire/config_dump.json');

const shop = uniqueName('shop');
const mesh = uniqueName('certs');
const other = uniqueName('certs-other');
const admins: AdminServer[] = [];

async function admin(dump: unknown): Promise<AdminServer> {
  const server = await startEnvoyAdmin({ dump });
  admins.push(server);
  return server;
}

function writeTmp(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const certDumps: Record<string, { file: string; dump: unknown }> = {};

beforeAll(async () => {
  testbed = await startTestbed({ nodes: true });
  c = clientsFor(testbed.kubeconfig);
  kube = ['--kubeconfig', testbed.kubeconfig];
  const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
  const [catalog, reviews, authz, istioRoots, spireRoots] = await Promise.all([
    admin(json(SIDECAR)),
    admin(json(SIDECAR)),
    admin(parse(readFileSync(AUTHZ, 'utf8'))),
    admin(json(ISTIO_ROOTS)),
    admin(json(SPIRE_ROOTS)),
  ]);
  await createSidecarPods(c, shop, [
    { name: 'catalog-0', forwards: { 15000: portOf(catalog.url) } },
    { name: 'reviews-0', forwards: { 15000: portOf(reviews.url) } },
    { name: 'ratings-0', forwards: { 15000: portOf(authz.url) } },
    { name: 'istio-roots-0', forwards: { 15000: portOf(istioRoots.url) } },
    { name: 'spire-roots-0', forwards: { 15000: portOf(spireRoots.url) } },
  ]);

  // Two namespaces of proxies with real workload certificates, for `mesh certs`.
  const root = makeCa('cluster.local', { fromDays: -30, toDays: 3650 }, '0a');
  const leaf = (ns: string, sa: string, toDays: number, serial: string) =>
    makeWorkloadCert(root, `spiffe://cluster.local/ns/${ns}/sa/${sa}`, { fromDays: -1, toDays }, serial);
  const specs = {
    [mesh]: [
      ['web-0', leaf(mesh, 'web', 60, '3001')],
      ['cart-0', leaf(mesh, 'cart', 90, '3002')],
    ],
    [other]: [['pay-0', leaf(other, 'pay', 45, '3003')]],
  } as const;
  for (const [ns, pods] of Object.entries(specs)) {
    const created = [];
    for (const [name, cert] of pods) {
      const dump = secretsDump({ chain: cert.certPem, roots: root.certPem });
      certDumps[`${name}.${ns}`] = { file: writeTmp(`${name}.${ns}.json`, JSON.stringify(dump)), dump };
      created.push({ name, forwards: { 15000: portOf((await admin(dump)).url) } });
    }
    await createSidecarPods(c, ns, created);
  }
});

afterAll(async () => {
  await testbed?.stop();
  await Promise.all(admins.map((a) => a.close()));
});

describe('mesh proxy-config <pod> through the API server and kwok', () => {
  it('prints what --file prints for the same dump: cluster, listener, route, secret, all', async () => {
    for (const sub of ['cluster', 'listener', 'route', 'secret', 'all']) {
      const live = await runCli(['pc', sub, `catalog-0.${shop}`, ...kube]);
      const file = await runCli(['pc', sub, '-f', SIDECAR]);
      expect({ sub, code: live.code, stderr: live.stderr }).toEqual({ sub, code: 0, stderr: '' });
      expect(live.stdout, sub).toBe(file.stdout);
      expect(live.stdout.length, sub).toBeGreaterThan(100);
    }
  });

  it('takes the namespace from -n, and filters as with --file', async () => {
    const live = await runCli([
      'pc',
      'cluster',
      'catalog-0',
      '-n',
      shop,
      '--port',
      '8000',
      '-o',
      'json',
      ...kube,
    ]);
    const file = await runCli(['pc', 'cluster', '-f', SIDECAR, '--port', '8000', '-o', 'json']);
    expect(live.code).toBe(0);
    expect(live.stdout).toBe(file.stdout);
  });

  it('endpoint: the same table as from the /clusters answer saved to a file', async () => {
    const saved = await fetch(`${admins[0]!.url}/clusters?format=json`).then((r) => r.text());
    const live = await runCli(['pc', 'endpoint', `catalog-0.${shop}`, ...kube]);
    const file = await runCli(['pc', 'endpoint', '-f', writeTmp('clusters.json', saved)]);
    expect(live.code).toBe(0);
    expect(live.stdout).toBe(file.stdout);
    expect(live.stdout).toContain('127.0.0.1:15000');
  });

  it('log: sets the levels on the proxy behind the pod and prints its listing', async () => {
    const live = await runCli(['pc', 'log', `reviews-0.${shop}`, '--level', 'rbac:debug', ...kube]);
    expect(live.code).toBe(0);
    expect(live.stdout.startsWith(`reviews-0.${shop}:\nactive loggers:\n`)).toBe(true);
    expect(live.stdout).toContain('  rbac: debug\n');
    // The level was set on that proxy and no other.
    expect(admins[1]!.requests).toContain('POST /logging?rbac=debug');
    expect(admins[0]!.requests.some((r) => r.startsWith('POST /logging?'))).toBe(false);
  });

  it('log -l: every pod the selector picks', async () => {
    const live = await runCli(['pc', 'log', '-l', 'app in (catalog,reviews)', '-n', shop, ...kube]);
    expect(live.code).toBe(0);
    expect(live.stdout).toContain(`catalog-0.${shop}:\nactive loggers:\n`);
    expect(live.stdout).toContain(`reviews-0.${shop}:\nactive loggers:\n`);
  });

  it('rootca-compare: two pods, the verdict and exit code of the same two dumps as files', async () => {
    const copy = (name: string, file: string) => writeTmp(name, readFileSync(file, 'utf8'));
    const cases = [
      [`catalog-0.${shop}`, `reviews-0.${shop}`, SIDECAR, SIDECAR],
      [`istio-roots-0.${shop}`, `spire-roots-0.${shop}`, ISTIO_ROOTS, SPIRE_ROOTS],
    ] as const;
    for (const [a, b, fa, fb] of cases) {
      // Copies under distinct names, so that each side's name can be told apart in the output.
      const [ca, cb] = [copy(`${a}.json`, fa), copy(`${b}.json`, fb)];
      const live = await runCli(['pc', 'rootca-compare', a, b, ...kube]);
      const file = await runCli(['pc', 'rootca-compare', ca, cb]);
      expect(live.code, `${a} ${b}`).toBe(file.code);
      const named = (text: string) => text.replaceAll(ca, a).replaceAll(cb, b);
      expect(live.stdout).toBe(named(file.stdout));
      expect(live.stderr).toBe(named(file.stderr));
    }
  });
});

describe('istioctl proxy-config <pod> against the same pod (differential)', () => {
  // Asynchronously: the stand-in admin servers live in this process, and a synchronous spawn would stop
  // them from answering istioctl's request until istioctl had given up.
  const istioctl = (args: string[]) =>
    promisify(execFile)(join(testbed.binDir, 'istioctl'), args, { encoding: 'utf8', maxBuffer: 1 << 26 });

  it('cluster, listener, route, endpoint, secret, all: the same table, byte for byte', async () => {
    for (const sub of ['cluster', 'listener', 'route', 'endpoint', 'secret', 'all']) {
      const oracle = await istioctl(['proxy-config', sub, `catalog-0.${shop}`, ...kube]);
      const ours = await runCli(['pc', sub, 'catalog-0', '-n', shop, ...kube]);
      expect({ sub, code: ours.code, stderr: ours.stderr }).toEqual({ sub, code: 0, stderr: '' });
      expect(ours.stdout, sub).toBe(oracle.stdout);
      // A header and at least one row.
      expect(oracle.stdout.trim().split('\n').length, sub).toBeGreaterThan(1);
    }
  });
});

describe('mesh authz check <pod> through the API server and kwok', () => {
  it('prints what -f prints for the same dump', async () => {
    const live = await runCli(['authz', 'check', `ratings-0.${shop}`, ...kube]);
    const file = await runCli(['authz', 'check', '-f', AUTHZ]);
    expect(live.code).toBe(0);
    expect(live.stdout).toBe(file.stdout);
    expect(live.stdout).toMatch(/^ACTION +AuthorizationPolicy +RULES\n/);
    // -o json names the proxy: the pod, where -f names the file.
    const liveJson = JSON.parse(
      (await runCli(['authz', 'check', `ratings-0.${shop}`, '-o', 'json', ...kube])).stdout,
    );
    const fileJson = JSON.parse((await runCli(['authz', 'check', '-f', AUTHZ, '-o', 'json'])).stdout);
    expect(liveJson).toEqual({ ...fileJson, proxy: `ratings-0.${shop}` });
  });
});

describe('mesh certs over pods, through the API server and kwok', () => {
  /**
   * The report of the same dumps read from files, with each file named by its pod. `now` and the
   * seconds left (computed at a slightly different instant) are left out of both sides.
   */
  const fromFiles = async (labels: string[]) => {
    const r = await runCli(['certs', ...labels.flatMap((l) => ['-f', certDumps[l]!.file]), '-o', 'json']);
    const byFile = new Map(labels.map((l) => [certDumps[l]!.file, l]));
    return { code: r.code, report: comparable(r.stdout, (name) => byFile.get(name) ?? name) };
  };
  const comparable = (json: string, rename: (name: string) => string = (n) => n) =>
    JSON.parse(json, function (key, value) {
      if (key === 'now' || key === 'expiresInSeconds') return undefined;
      if (key === 'proxy' && typeof value === 'string') return rename(value);
      if (key === 'proxies' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
        return value.map(rename);
      return value;
    });

  it('-n: every proxy of the namespace, as their dumps give from files', async () => {
    const live = await runCli(['certs', '-n', mesh, '-o', 'json', ...kube]);
    expect(live.code).toBe(0);
    const report = comparable(live.stdout);
    expect(report.proxies.map((p: any) => p.proxy)).toEqual([`cart-0.${mesh}`, `web-0.${mesh}`]);
    const file = await fromFiles([`cart-0.${mesh}`, `web-0.${mesh}`]);
    expect(report).toEqual(file.report);
  });

  it('-A: every proxy in every namespace, each row as its dump gives from a file', async () => {
    const live = await runCli(['certs', '-A', '-o', 'json', ...kube]);
    const proxies = comparable(live.stdout).proxies;
    // Other test files run pods beside these; compare the rows of this file's proxies.
    const labels = Object.keys(certDumps).sort();
    const ours = proxies.filter((p: any) => labels.includes(p.proxy));
    expect(ours).toEqual((await fromFiles(labels)).report.proxies);
    expect(proxies.map((p: any) => p.proxy)).toContain(`catalog-0.${shop}`);
  });
});
