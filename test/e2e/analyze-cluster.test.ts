// `mesh analyze` against the testbed's real kube-apiserver: the cluster alone and files over it, compared
// with the testbed's istioctl on the same server; a user without RBAC grants, a user who may not list
// Secrets, pagination, and a server that stops in the middle of the lists.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments, parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { istioCrds } from '../../src/install/crds.js';
import { runCli } from '../support/cli.js';
import { sarifErrors } from '../support/sarif.js';
import { apply, clientsFor, eventually, uniqueName } from './support/kube.js';

const testbed = inject('testbed');
const istioctl = join(testbed.binDir, 'istioctl');
const admin = clientsFor(testbed.kubeconfig);
const nsA = uniqueName('live-a');
const nsB = uniqueName('live-b');
const work = mkdtempSync(join(tmpdir(), 'mesh-live-'));
const SENTINEL = 'SENTINEL-SECRET-VALUE';

interface Finding {
  code: string;
  level: string;
  origin: string;
  message: string;
  file?: string;
  line?: number;
  source?: string;
}

const key = (f: Finding): string => `${f.code} ${f.level} ${f.origin}: ${f.message}`;
/** Findings on this test's objects only (other test files share the server). */
const ours = (f: Finding): boolean =>
  [nsA, nsB].some((ns) => f.origin.includes(` ${ns}/`) || f.origin.endsWith(` ${ns}`));

function fixture(): KubernetesObject[] {
  const text = readFileSync(join(import.meta.dirname, 'fixtures/live-cluster.yaml'), 'utf8')
    .replaceAll('NS_A', nsA)
    .replaceAll('NS_B', nsB);
  return parseAllDocuments(text).map((d) => d.toJS() as KubernetesObject);
}

/**
 * mesh's Istio findings equal istioctl's on the same objects. Known differences (each one a documented
 * deviation, see README "Live cluster: differences from istioctl") are listed here with their reason.
 */
const DEVIATIONS: Array<{ only: 'mesh' | 'istioctl'; match: RegExp; why: string }> = [];

function expectLikeIstioctl(mesh: Finding[], oracle: Finding[]): void {
  const deviates = (side: 'mesh' | 'istioctl') => (k: string) =>
    DEVIATIONS.some((d) => d.only === side && d.match.test(k));
  const ours = mesh.filter((f) => f.code.startsWith('IST')).map(key);
  const theirs = oracle.map(key);
  expect(ours.filter((k) => !deviates('mesh')(k)).sort()).toEqual(
    theirs.filter((k) => !deviates('istioctl')(k)).sort(),
  );
}

function istioctlAnalyze(args: string[]): Finding[] {
  const run = spawnSync(istioctl, ['analyze', '--kubeconfig', testbed.kubeconfig, '-o', 'json', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect([0, 79], `${run.stderr}`).toContain(run.status);
  return JSON.parse(run.stdout) as Finding[];
}

async function meshAnalyze(args: string[], kubeconfig = testbed.kubeconfig) {
  const run = await runCli(['analyze', '--kubeconfig', kubeconfig, ...args]);
  return run;
}

function report(stdout: string): { findings: Finding[]; summary: Record<string, any> } {
  return JSON.parse(stdout);
}

/** A kubeconfig like the admin's, for the same server, with another bearer token (or server). */
function kubeconfigWith(name: string, change: { token?: string; server?: string }): string {
  const kc = parse(readFileSync(testbed.kubeconfig, 'utf8'));
  if (change.token) kc.users[0].user = { token: change.token };
  if (change.server) {
    // (client-node speaks plain HTTP only to a cluster marked insecure.)
    kc.clusters[0].cluster = { server: change.server, 'insecure-skip-tls-verify': true };
    kc.users[0].user = {};
  }
  const file = join(work, `${name}.kubeconfig`);
  writeFileSync(file, stringify(kc), { mode: 0o600 });
  return file;
}

beforeAll(async () => {
  for (const crd of istioCrds() as KubernetesObject[]) await apply(admin.objects, crd);
  const extensions = admin.kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of istioCrds() as KubernetesObject[])
    await eventually(`${crd.metadata!.name} Established`, async () => {
      const c = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return c.status?.conditions?.find((x) => x.type === 'Established' && x.status === 'True');
    });
  for (const obj of fixture()) await apply(admin.objects, obj);
});

describe('mesh analyze on a live cluster', () => {
  it('reports what istioctl analyze -A reports for the same cluster', async () => {
    const oracle = istioctlAnalyze(['-A']).filter(ours);
    const run = await meshAnalyze(['-A', '-o', 'json']);
    expect(run.code, run.stderr).toBe(79);
    const mesh = report(run.stdout).findings.filter(ours);
    expect(oracle.length).toBeGreaterThan(3);
    expectLikeIstioctl(mesh, oracle);
    // Every listed deviation happens here; one that no longer does must leave the list.
    const all = [...mesh, ...oracle].map(key);
    for (const d of DEVIATIONS)
      expect(
        all.some((k) => d.match.test(k)),
        `stale: ${d.why}`,
      ).toBe(true);
    // Objects of the cluster have no file: the finding names the object and says where it came from.
    for (const f of mesh) {
      expect(f.file).toBeUndefined();
      expect(f.line).toBeUndefined();
      expect(f.source).toBe('cluster');
    }
  });

  it('names cluster objects without a file in SARIF, which stays valid', async () => {
    const run = await meshAnalyze(['-A', '-o', 'sarif']);
    const log = JSON.parse(run.stdout);
    expect(sarifErrors(log)).toEqual([]);
    const result = log.runs[0].results.find((r: any) =>
      r.message.text.includes(`VirtualService ${nsA}/reviews`),
    );
    expect(result.properties).toEqual({ source: 'cluster' });
    expect(result.locations).toEqual([
      {
        logicalLocations: [
          { fullyQualifiedName: expect.stringContaining(`VirtualService ${nsA}/reviews`), kind: 'resource' },
        ],
      },
    ]);
  });

  it('reports one namespace with -n, as istioctl does', async () => {
    const oracle = istioctlAnalyze(['-n', nsB]);
    const run = await meshAnalyze(['-n', nsB, '-o', 'json']);
    const mesh = report(run.stdout).findings;
    expect(mesh.length).toBeGreaterThan(0);
    expect(mesh.every((f) => f.origin.includes(nsB))).toBe(true);
    expectLikeIstioctl(mesh, oracle);
  });

  it('overlays files on the cluster: a file object replaces the cluster object of the same name', async () => {
    const file = join(work, 'fix.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        `metadata: {name: reviews, namespace: ${nsA}}`,
        'spec:',
        '  hosts: [reviews.example.com]',
        '  gateways: [public]',
        '  http:',
        '  - route:',
        '    - destination: {host: reviews, subset: v1}',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        `metadata: {name: details, namespace: ${nsA}}`,
        'spec:',
        '  host: details',
        '',
      ].join('\n'),
    );
    const oracle = istioctlAnalyze(['-A', '--use-kube=true', file]).filter(ours);
    const run = await meshAnalyze(['-A', '--use-kube', '-o', 'json', file]);
    const mesh = report(run.stdout).findings.filter(ours);
    expectLikeIstioctl(mesh, oracle);
    // The cluster's broken VirtualService is replaced by the file's: its findings are gone.
    expect(mesh.some((f) => f.origin === `VirtualService ${nsA}/reviews`)).toBe(false);
    // The file's new DestinationRule names a missing host: reported at its file and line.
    const details = mesh.find((f) => f.origin === `DestinationRule ${nsA}/details`);
    expect(details).toMatchObject({ code: 'IST0174', file, line: 15 });
    // The cluster's other objects are still analyzed.
    expect(mesh.some((f) => f.origin === `DestinationRule ${nsB}/ghost` && f.source === 'cluster')).toBe(
      true,
    );
    // Without --use-kube the same file is analyzed offline (no cluster objects at all).
    const offline = report((await runCli(['analyze', '-A', '-o', 'json', file])).stdout);
    expect(offline.findings.every((f) => f.source === undefined)).toBe(true);
    expect(offline.summary.cluster).toBeUndefined();
  });

  it('never prints Secret values, in any output format', async () => {
    for (const format of ['json', 'yaml', 'log', 'sarif']) {
      const run = await meshAnalyze(['-A', '-v', '-o', format]);
      expect(run.stdout + run.stderr).not.toContain(SENTINEL);
    }
  });

  it('warns once per kind a user without RBAC grants may not list, and still reports', async () => {
    const run = await meshAnalyze(['-A', '-o', 'json'], testbed.restrictedKubeconfig);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`cannot list secrets (Secret) on ${testbed.server}`);
    expect(run.stderr).toContain('cannot list virtualservices.networking.istio.io (VirtualService)');
    expect(run.stderr.match(/cannot list secrets /g)).toHaveLength(1);
    expect(run.stderr).toMatch(/skipped \d+ analyzer\(s\) that read those kinds: .*gateway\.SecretAnalyzer/);
    expect(report(run.stdout).summary.cluster.denied).toContain('list secrets');
  });

  it('skips only the analyzers that read the kind a user may not list', async () => {
    const rbac = admin.kc.makeApiClient(RbacAuthorizationV1Api);
    const sa = uniqueName('no-secrets');
    await admin.core.createNamespacedServiceAccount({ namespace: nsB, body: { metadata: { name: sa } } });
    const groups = [
      'discovery.k8s.io',
      'apps',
      'admissionregistration.k8s.io',
      'apiextensions.k8s.io',
      'networking.istio.io',
      'security.istio.io',
      'telemetry.istio.io',
      'extensions.istio.io',
    ];
    await rbac.createClusterRole({
      body: {
        metadata: { name: sa },
        rules: [
          {
            apiGroups: [''],
            resources: [
              'namespaces',
              'services',
              'endpoints',
              'pods',
              'configmaps',
              'serviceaccounts',
              'nodes',
            ],
            verbs: ['list'],
          },
          { apiGroups: groups, resources: ['*'], verbs: ['list'] },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: sa },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: sa },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: nsB }],
      },
    });
    const token = await admin.core.createNamespacedServiceAccountToken({
      name: sa,
      namespace: nsB,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const kubeconfig = kubeconfigWith(sa, { token: token.status!.token });
    const run = await meshAnalyze(['-A', '-o', 'json', '-v'], kubeconfig);
    const denied = run.stderr.split('\n').filter((l) => l.startsWith('warning: cannot list'));
    expect(denied, run.stderr).toEqual([
      `warning: cannot list secrets (Secret) on ${testbed.server}: analyzers that read it are skipped`,
    ]);
    expect(run.stderr).toContain('\tgateway.SecretAnalyzer (cannot list secrets)');
    // Everything the skipped analyzers do not produce is still reported.
    const skipped = /that read those kinds: (.*)/.exec(run.stderr)![1]!.split(', ');
    const withAdmin = report((await meshAnalyze(['-A', '-o', 'json'])).stdout).findings.filter(ours);
    const restricted = report(run.stdout).findings.filter(ours);
    expect(restricted.length).toBeGreaterThan(3);
    expect(restricted.map(key).sort()).toEqual(
      withAdmin
        .filter((f) => !skipped.includes((f as Finding & { analyzer: string }).analyzer))
        .map(key)
        .sort(),
    );
  });
});

/** A plain-HTTP front for the API server (admin credentials), which `decide` can stop or stall. */
function frontServer(decide: (url: string, n: number) => 'forward' | 'stop' | 'stall'): Promise<{
  url: string;
  server: Server;
  seen: string[];
}> {
  const kc = parse(readFileSync(testbed.kubeconfig, 'utf8'));
  const token = kc.users[0].user.token as string;
  const ca = readFileSync(testbed.caFile);
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url!);
    const action = decide(req.url!, seen.length);
    if (action === 'stall') return;
    if (action === 'stop') {
      server.close();
      server.closeAllConnections();
      return;
    }
    const up = httpsRequest(
      `${testbed.server}${req.url}`,
      { ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
      (upRes) => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, server, seen });
    }),
  );
}

describe('mesh analyze when the cluster misbehaves', () => {
  const many = 510;
  beforeAll(async () => {
    // More ServiceAccounts than one list page holds (500).
    const names = Array.from({ length: many }, (_, i) => `sa-${i}`);
    for (let i = 0; i < names.length; i += 30)
      await Promise.all(
        names
          .slice(i, i + 30)
          .map((name) =>
            admin.core.createNamespacedServiceAccount({ namespace: nsB, body: { metadata: { name } } }),
          ),
      );
  });
  const fronts: Server[] = [];
  afterAll(() => fronts.forEach((s) => s.closeAllConnections()));

  it('reads lists page by page (limit/continue) and gets every object', async () => {
    const front = await frontServer(() => 'forward');
    fronts.push(front.server);
    const run = await meshAnalyze(['-A', '-o', 'json'], kubeconfigWith('front', { server: front.url }));
    expect(run.code, run.stderr).toBe(79);
    const listed = await admin.core.listServiceAccountForAllNamespaces();
    expect(report(run.stdout).summary.cluster.kinds['core/ServiceAccount']).toBe(listed.items.length);
    expect(front.seen.some((u) => u.startsWith('/api/v1/serviceaccounts?') && u.includes('continue='))).toBe(
      true,
    );
    expect(front.seen.every((u) => !u.includes('/api/v1/') || u.includes('limit=500'))).toBe(true);
  });

  it('fails with one line naming the server when it stops in the middle of a list', async () => {
    const front = await frontServer((url) => (url.includes('continue=') ? 'stop' : 'forward'));
    fronts.push(front.server);
    const run = await meshAnalyze(['-A'], kubeconfigWith('stops', { server: front.url }));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^Error: cannot read the cluster from the Kubernetes API server ${front.url}: `),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('gives up after --timeout when the server stops answering', async () => {
    const front = await frontServer((url, n) => (n > 3 ? 'stall' : 'forward'));
    fronts.push(front.server);
    const started = Date.now();
    const run = await meshAnalyze(['-A', '--timeout', '2s'], kubeconfigWith('stalls', { server: front.url }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `timed out after 2s reading the cluster from the Kubernetes API server ${front.url}`,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('fails with one line naming the server when nothing listens there', async () => {
    const front = await frontServer(() => 'forward');
    front.server.close();
    const run = await meshAnalyze(['-A'], kubeconfigWith('down', { server: front.url }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot read the cluster from the Kubernetes API server ${front.url}`);
    expect(run.stderr).toContain('ECONNREFUSED');
  });
});
