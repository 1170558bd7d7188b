// Multi-cluster analysis against two real API servers (two testbeds: a primary with Istio's CRDs and a
// remote), compared with the testbed's istioctl on the same kubeconfig: the remote clusters named with
// --remote-contexts, or found as istioctl finds them (the control plane's `istio/multiCluster=true`
// Secrets, each a kubeconfig), and a remote cluster that cannot be read.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { istioCrds } from '../../src/install/crds.js';
import { apply, applyCrds, clientsFor, eventually, type Clients } from './support/kube.js';
import { runIstioctl } from './support/istioctl.js';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { ISTIO_NAMESPACE, startTestbed, type Testbed } from './support/testbed.js';
import { startSilentServer } from '../support/silent-server.js';

const CONFORMANCE = join(import.meta.dirname, '../../../shared/conformance/istio-analyze');
const NS = 'shop';
/** A VirtualService only the remote cluster holds (the other one, `checkout`, both clusters hold). */
const REMOTE_ONLY = `VirtualService ${NS}/refunds`;
/** A namespace with nothing to report. */
const QUIET = 'quiet';
let primary: Testbed;
let remote: Testbed;
let admin: Clients;
let dir: string;
/** One kubeconfig, two contexts: `primary` (current) and `remote`. */
let kubeconfig: string;

/** A testbed kubeconfig with its cluster, user and context renamed (certificate paths stay absolute). */
function renamed(file: string, name: string, cluster = name) {
  const k = parse(readFileSync(file, 'utf8'));
  return {
    cluster: { name: cluster, cluster: k.clusters[0].cluster },
    user: { name, user: k.users[0].user },
    context: { name, context: { cluster, user: name } },
  };
}

function kubeconfigOf(parts: Array<ReturnType<typeof renamed>>, current: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: parts.map((p) => p.cluster),
    users: parts.map((p) => p.user),
    contexts: parts.map((p) => p.context),
    'current-context': current,
  });
}

const service = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS },
  spec: { selector: { app: name }, ...spec },
});
const http = { name: 'http', port: 9080, targetPort: 9080, protocol: 'TCP' };

async function create(kc: Clients, objects: KubernetesObject[]): Promise<void> {
  for (const o of objects) await apply(KubernetesObjectApi.makeApiClient(kc.kc), o);
}

/** The testbed's istioctl, without blocking the event loop. */
const istioctl = (args: string[]) => runIstioctl(primary.binDir, args);

interface Finding {
  code: string;
  origin: string;
  message: string;
  cluster?: string;
}

/**
 * `code [cluster] origin: message` of the findings on this test's namespace and its objects. For IST0170 the clusters and
 * reasons are sorted and the cluster is `*`: istioctl lists both, and picks the copy it reports on, in Go
 * map order, which changes from run to run (mesh: sorted, and the first cluster's copy).
 */
function keys(findings: Finding[]): string[] {
  return findings
    .filter((f) => f.origin.includes(` ${NS}/`) || f.origin === `Namespace ${NS}`)
    .map((f) => {
      // a configuration object only a remote cluster holds: istioctl names it the primary's (its one
      // configuration store is the primary's), mesh names the cluster it was read from
      if (f.origin === REMOTE_ONLY) return `${f.code} [*] ${f.origin}: ${f.message}`;
      if (f.code !== 'IST0170') return `${f.code} [${f.cluster ?? ''}] ${f.origin}: ${f.message}`;
      const message = f.message
        .replace(
          /clusters \[([^\]]*)\]/,
          (_, list: string) => `clusters [${list.split(' ').sort().join(' ')}]`,
        )
        .replace(
          /behaviors are: (.*)\.$/,
          (_, list: string) => `behaviors are: ${list.split('; ').sort().join('; ')}.`,
        );
      return `${f.code} [*] ${f.origin}: ${message}`;
    })
    .sort();
}

/** `mesh analyze -A` of the primary with the remote cluster (`--remote-contexts remote`), and `more`. */
function analyzeBoth(...more: string[]): Promise<MeshRun> {
  return runMesh(['analyze', '-A', '--kubeconfig', kubeconfig, '--remote-contexts', 'remote', ...more]);
}

async function meshJson(...args: string[]): Promise<{ run: MeshRun; findings: Finding[]; summary: any }> {
  const run = await runMesh(['analyze', '-A', '--kubeconfig', kubeconfig, '-o', 'json', ...args]);
  const report = JSON.parse(run.stdout);
  return { run, findings: report.findings, summary: report.summary };
}

async function istioctlJson(...args: string[]): Promise<Finding[]> {
  const run = await istioctl(['analyze', '-A', '--kubeconfig', kubeconfig, '-o', 'json', ...args]);
  expect([0, 79], run.stderr).toContain(run.code);
  return JSON.parse(run.stdout.slice(run.stdout.search(/^\[/m)));
}

/** The two Services that differ, as keys() writes them, with the remote cluster's ID. */
const expected = (cluster: string) => [
  `IST0170 [*] Service shop/details: The service details in namespace "shop" is inconsistent across clusters ["default" "${cluster}"], which can lead to undefined behaviors. The inconsistent behaviors are: service has mixed mode like headless and clusterIP.`,
  `IST0170 [*] Service shop/reviews: The service reviews in namespace "shop" is inconsistent across clusters ["default" "${cluster}"], which can lead to undefined behaviors. The inconsistent behaviors are: service ports are inconsistent; service type is inconsistent.`,
];

beforeAll(async () => {
  [primary, remote] = await Promise.all([startTestbed(), startTestbed()]);
  dir = mkdtempSync(join(tmpdir(), 'mesh-multicluster-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    kubeconfigOf([renamed(primary.kubeconfig, 'primary'), renamed(remote.kubeconfig, 'remote')], 'primary'),
  );
  admin = clientsFor(primary.kubeconfig);
  await applyCrds(admin.kc, istioCrds() as KubernetesObject[]);
  const other = clientsFor(remote.kubeconfig);
  for (const c of [admin, other]) await c.core.createNamespace({ body: { metadata: { name: NS } } });
  await admin.core.createNamespace({
    body: { metadata: { name: QUIET, labels: { 'istio-injection': 'enabled' } } },
  });
  // where the control plane keeps its remote secrets (the testbed runs no istiod here)
  await admin.core.createNamespace({ body: { metadata: { name: ISTIO_NAMESPACE } } });
  await create(admin, [
    service('reviews', { ports: [http] }),
    service('details', { ports: [http] }),
    service('ratings', { ports: [http] }),
  ]);
  await create(other, [
    service('reviews', { type: 'NodePort', ports: [http, { ...http, name: 'grpc', port: 9090 }] }),
    service('details', { clusterIP: 'None', ports: [http] }),
    service('ratings', { ports: [http] }),
    // only in the remote cluster: what the primary's VirtualService routes to
    service('payments', { ports: [http] }),
  ]);
  // Both clusters hold the mesh's configuration (as multi-primary meshes do): the same VirtualService
  // `checkout` in each, and `refunds` in the remote cluster only.
  await applyCrds(other.kc, istioCrds() as KubernetesObject[]);
  const checkout = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'checkout', namespace: NS },
    spec: {
      hosts: ['checkout.shop.svc.cluster.local'],
      http: [
        {
          route: [
            { destination: { host: 'payments.shop.svc.cluster.local' }, weight: 50 },
            { destination: { host: 'ghost.shop.svc.cluster.local' }, weight: 50 },
          ],
        },
      ],
    },
  } as KubernetesObject;
  const refunds = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'refunds', namespace: NS },
    spec: {
      hosts: ['refunds.shop.svc.cluster.local'],
      http: [{ route: [{ destination: { host: 'phantom.shop.svc.cluster.local' } }] }],
    },
  } as KubernetesObject;
  // Each is created once its kind is served (a CRD just established may take a moment).
  await eventually('VirtualService served in the remote cluster', async () => {
    try {
      await create(other, [checkout, refunds]);
      return true;
    } catch {
      return undefined;
    }
  });
  await eventually('VirtualService served', async () => {
    try {
      await create(admin, [checkout]);
      return true;
    } catch {
      return undefined;
    }
  });
}, 180_000);

afterAll(async () => {
  await Promise.all([primary?.stop(), remote?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mesh analyze of a mesh of two clusters', () => {
  it('--remote-contexts: Services that differ between the clusters (IST0170), hosts found in either, as istioctl', async () => {
    const { run, findings, summary } = await meshJson('--remote-contexts', 'remote');
    expect(run.code, run.stderr).toBe(79);
    expect(run.stderr).toBe('');
    const ours = keys(findings);
    expect(ours.filter((k) => k.startsWith('IST0170'))).toEqual(expected('remote'));
    // payments exists in the remote cluster only: found; ghost exists nowhere. The VirtualService both
    // clusters hold is the mesh's one configuration: analyzed once, and not in conflict with itself
    // (IST0109 on every VirtualService of a multi-primary mesh before)
    expect(findings.filter((f) => f.origin === `VirtualService ${NS}/checkout`)).toEqual([
      expect.objectContaining({
        code: 'IST0101',
        cluster: 'default',
        message: 'Referenced host not found: "ghost.shop.svc.cluster.local"',
      }),
    ]);
    // the configuration only the remote cluster holds is analyzed too, under the cluster it was read from
    expect(findings.filter((f) => f.origin === REMOTE_ONLY)).toEqual([
      expect.objectContaining({
        code: 'IST0101',
        cluster: 'remote',
        message: 'Referenced host not found: "phantom.shop.svc.cluster.local"',
      }),
    ]);
    expect(summary.cluster.remotes).toEqual([
      expect.objectContaining({
        cluster: 'remote',
        from: 'context remote',
        server: remote.server,
        denied: [],
      }),
    ]);
    const theirs = await istioctlJson('--remote-contexts', 'remote');
    expect(ours).toEqual(keys(theirs));
    expect(theirs.filter((f) => f.origin === REMOTE_ONLY).map((f) => f.cluster)).toEqual(['default']);
  });

  it('prints each finding with its cluster, as istioctl does once there is more than one', async () => {
    const run = await analyzeBoth('-v');
    expect(run.code).toBe(79);
    // -v counts the remote cluster's configuration that the primary's already is (the remote CRDs too)
    expect(run.stderr).toMatch(
      /^Configuration of remote clusters already read from the primary or an earlier remote cluster \(the same kind, namespace and name; analyzed once, as istioctl\): \d+ CustomResourceDefinition, 1 VirtualService$/m,
    );
    const lines = run.stdout.split('\n').filter((l) => l.includes(` ${NS}/`));
    expect(lines).toContain(
      'Error [IST0101] [cluster-default] (VirtualService shop/checkout) Referenced host not found: "ghost.shop.svc.cluster.local"',
    );
    expect(
      lines.filter((l) => l.startsWith('Warning [IST0170] [cluster-default] (Service shop/')),
    ).toHaveLength(2);
  });

  it('names the cluster of each finding in every report format: SARIF, GitHub, JUnit, Code Quality', async () => {
    const report = (format: string, ...more: string[]) =>
      runMesh(['analyze', '-A', '--kubeconfig', kubeconfig, '-o', format, ...more]);
    const remoteContexts = ['--remote-contexts', 'remote'];
    const [sarif, github, junit, quality, qualityAlone] = await Promise.all([
      report('sarif', ...remoteContexts),
      report('github', ...remoteContexts),
      report('junit', ...remoteContexts),
      report('codeclimate', ...remoteContexts),
      report('codeclimate', '--no-remote-secrets'),
    ]);
    // the namespace exists in both clusters, and both copies lack the injection label (IST0102, Info)
    const notInjected = (cluster: string) => `[cluster-${cluster}] Namespace ${NS}`;
    const results = JSON.parse(sarif.stdout).runs[0].results.filter(
      (r: any) => r.ruleId === 'IST0102' && r.message.text.endsWith(` Namespace ${NS})`),
    );
    expect(results.map((r: any) => [r.message.text.replace(/.*\(/, '('), r.properties])).toEqual([
      [`(${notInjected('default')})`, { cluster: 'default', source: 'cluster' }],
      [`(${notInjected('remote')})`, { cluster: 'remote', source: 'cluster' }],
    ]);
    expect(github.stdout.split('\n').filter((l) => l.includes(`Namespace ${NS}::`))).toEqual([
      expect.stringMatching(new RegExp(`^::notice title=IST0102 \\[cluster-default\\] Namespace ${NS}::`)),
      expect.stringMatching(new RegExp(`^::notice title=IST0102 \\[cluster-remote\\] Namespace ${NS}::`)),
    ]);
    // JUnit: a case per object of each cluster (same-named ones are not merged), named as the findings are
    const suite = /<testsuite name="injection\.Analyzer"[^>]*>([\s\S]*?)<\/testsuite>/.exec(
      junit.stdout,
    )![1]!;
    for (const cluster of ['default', 'remote'])
      expect(suite).toContain(
        `<testcase name="${notInjected(cluster)}" classname="injection.Analyzer">\n      <system-out>Info [IST0102] ${notInjected(cluster).replace('Namespace', '(Namespace')}) The namespace is not enabled`,
      );
    // Code Quality: the two copies are two issues; the primary's findings keep the fingerprints of an
    // analysis of the primary alone
    const issues = (run: MeshRun) =>
      new Map((JSON.parse(run.stdout) as any[]).map((i) => [i.description, i.fingerprint]));
    const withRemote = issues(quality);
    const alone = issues(qualityAlone);
    const ghost = ' VirtualService shop/checkout: Referenced host not found: "ghost.shop.svc.cluster.local"';
    const notEnabled = `Namespace ${NS}: The namespace is not enabled for Istio injection.`;
    const fingerprint = (map: Map<string, string>, start: string) =>
      [...map].filter(([d]) => d.startsWith(start)).map(([, f]) => f);
    expect(fingerprint(withRemote, `[IST0101] [cluster-default]${ghost}`)).toEqual(
      fingerprint(alone, `[IST0101]${ghost}`),
    );
    const [primaryCopy] = fingerprint(alone, `[IST0102] ${notEnabled}`);
    expect(fingerprint(withRemote, `[IST0102] [cluster-default] ${notEnabled}`)).toEqual([primaryCopy]);
    const [remoteCopy] = fingerprint(withRemote, `[IST0102] [cluster-remote] ${notEnabled}`);
    expect(remoteCopy).toMatch(/^[0-9a-f]{32}$/);
    expect(remoteCopy).not.toBe(primaryCopy);
  });

  it('a baseline tells the clusters apart: a remote cluster’s finding is not the primary’s', async () => {
    const baseline = join(dir, 'baseline.json');
    const write = await analyzeBoth('--write-baseline', baseline);
    expect(write.code, write.stderr).toBe(0);
    const file = JSON.parse(readFileSync(baseline, 'utf8'));
    const isShop = (e: any) => e.code === 'IST0102' && e.origin === `Namespace ${NS}`;
    // the remote cluster's entries carry its ID; the primary's have none (as in a single-cluster baseline)
    expect(file.findings.filter(isShop).map((e: any) => e.cluster)).toEqual([undefined, 'remote']);
    // with the primary's entry gone, the primary's finding is the new one, not the remote's
    file.findings = file.findings.filter((e: any) => !(isShop(e) && e.cluster === undefined));
    writeFileSync(baseline, JSON.stringify(file));
    const { run, findings, summary } = await meshJson('--remote-contexts', 'remote', '--baseline', baseline);
    expect(run.code, run.stderr).toBe(0);
    expect(findings.map((f) => `${f.code} [${f.cluster}] ${f.origin}`)).toEqual([
      `IST0102 [default] Namespace ${NS}`,
    ]);
    expect(summary.inBaseline).toBe(file.findings.length);
  });

  it('one cluster alone: nothing to compare, and the host only the remote cluster has is not found', async () => {
    const { findings } = await meshJson();
    const ours = keys(findings);
    expect(ours.filter((k) => k.startsWith('IST0170'))).toEqual([]);
    expect(
      ours
        .filter((k) => k.startsWith('IST0101'))
        .map((k) => /"(.*)"/.exec(k)![1])
        .sort(),
    ).toEqual(['ghost.shop.svc.cluster.local', 'payments.shop.svc.cluster.local']);
    expect(findings.every((f) => f.cluster === undefined)).toBe(true);
    expect(ours).toEqual(keys(await istioctlJson()));
  });

  describe('remote clusters found in the control plane’s istio/multiCluster Secrets', () => {
    const secret = (name: string, key: string, kubeconfigText: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ISTIO_NAMESPACE, labels: { 'istio/multiCluster': 'true' } },
      stringData: { [key]: kubeconfigText },
    });
    const remove = (name: string) => admin.core.deleteNamespacedSecret({ name, namespace: ISTIO_NAMESPACE });

    it('reads the cluster a Secret’s kubeconfig names, under that cluster’s name, as istioctl', async () => {
      const west = kubeconfigOf([renamed(remote.kubeconfig, 'west-admin', 'remote-west')], 'west-admin');
      await create(admin, [secret('istio-remote-secret-west', 'remote-west', west)]);
      try {
        const { run, findings, summary } = await meshJson();
        expect(run.code, run.stderr).toBe(79);
        expect(keys(findings).filter((k) => k.startsWith('IST0170'))).toEqual(expected('remote-west'));
        expect(summary.cluster.remotes).toEqual([
          expect.objectContaining({
            cluster: 'remote-west',
            from: `Secret ${ISTIO_NAMESPACE}/istio-remote-secret-west (remote-west)`,
          }),
        ]);
        expect(keys(findings)).toEqual(keys(await istioctlJson()));
        // the kubeconfig's credentials are nowhere in what mesh prints
        const token = parse(west).users[0].user.token as string;
        expect(run.stdout + run.stderr).not.toContain(token);
      } finally {
        await remove('istio-remote-secret-west');
      }
    });

    it('a second kubeconfig naming a cluster ID already taken is not read (its objects would pass for the other’s)', async () => {
      const west = kubeconfigOf([renamed(remote.kubeconfig, 'west-admin', 'remote-west')], 'west-admin');
      const primaryAgain = kubeconfigOf([renamed(primary.kubeconfig, 'p', 'default')], 'p');
      await create(admin, [
        secret('istio-remote-secret-west', 'remote-west', west),
        secret('istio-remote-secret-west2', 'remote-west', west),
        secret('istio-remote-secret-zz', 'default', primaryAgain),
      ]);
      try {
        const { run, findings, summary } = await meshJson();
        expect(run.code).toBe(79);
        const from = (name: string, key: string) => `Secret ${ISTIO_NAMESPACE}/${name} (${key})`;
        expect(run.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
          `warning: cannot read remote cluster remote-west (${from('istio-remote-secret-west2', 'remote-west')}, ${remote.server}): cluster ID "remote-west" is already that of ${from('istio-remote-secret-west', 'remote-west')}: its objects are not analyzed`,
          `warning: cannot read remote cluster default (${from('istio-remote-secret-zz', 'default')}, ${primary.server}): cluster ID "default" is already that of the primary cluster: its objects are not analyzed`,
        ]);
        expect(summary.cluster.remotes.map((r: any) => [r.cluster, r.error === undefined])).toEqual([
          ['remote-west', true],
          ['remote-west', false],
          ['default', false],
        ]);
        // the analysis is that of the two distinct clusters
        expect(keys(findings).filter((k) => k.startsWith('IST0170'))).toEqual(expected('remote-west'));
      } finally {
        for (const name of [
          'istio-remote-secret-west',
          'istio-remote-secret-west2',
          'istio-remote-secret-zz',
        ])
          await remove(name);
      }
    });

    it('a remote cluster that cannot be read is one warning; the rest is analyzed and the run fails (exit 1)', async () => {
      const closed = kubeconfigOf([renamed(remote.kubeconfig, 'gone', 'gone-cluster')], 'gone').replace(
        remote.server,
        'https://127.0.0.1:1',
      );
      const marker = join(dir, 'exec-ran');
      const execUser = stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'exec-cluster', cluster: { server: remote.server } }],
        users: [
          {
            name: 'exec',
            user: {
              exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'touch', args: [marker] },
            },
          },
        ],
        contexts: [{ name: 'exec', context: { cluster: 'exec-cluster', user: 'exec' } }],
        'current-context': 'exec',
      });
      // a server that accepts the connection and never answers (a firewall that swallows packets)
      const silent = await startSilentServer('tcp');
      const silentUser = stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'silent-cluster', cluster: { server: silent.url, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'silent', user: { token: 'silent-token' } }],
        contexts: [{ name: 'silent', context: { cluster: 'silent-cluster', user: 'silent' } }],
        'current-context': 'silent',
      });
      await create(admin, [
        secret('istio-remote-secret-gone', 'gone-cluster', closed),
        secret('istio-remote-secret-exec', 'exec-cluster', execUser),
        secret('istio-remote-secret-silent', 'silent-cluster', silentUser),
      ]);
      try {
        // a namespace without findings: the unread clusters alone decide the exit code; the silent one is
        // given up after --kubeclient-timeout (istioctl's per-request deadline), not the read's --timeout
        const run = await runMesh([
          'analyze',
          '-n',
          QUIET,
          '--kubeconfig',
          kubeconfig,
          '--kubeclient-timeout',
          '2s',
        ]);
        expect(run.code).toBe(1);
        const warnings = run.stderr
          .split('\n')
          .filter((l) => l.startsWith('warning: cannot read remote cluster'));
        // in the order of the Secrets' names
        expect(warnings).toEqual([
          `warning: cannot read remote cluster exec-cluster (Secret ${ISTIO_NAMESPACE}/istio-remote-secret-exec (exec-cluster), ${remote.server}): its kubeconfig gets credentials by running an exec plugin, which mesh does not run: its objects are not analyzed`,
          expect.stringMatching(
            new RegExp(
              `^warning: cannot read remote cluster gone-cluster \\(Secret ${ISTIO_NAMESPACE}/istio-remote-secret-gone \\(gone-cluster\\), https://127\\.0\\.0\\.1:1\\): cannot read the cluster from the Kubernetes API server https://127\\.0\\.0\\.1:1: connect ECONNREFUSED .*: its objects are not analyzed$`,
            ),
          ),
          `warning: cannot read remote cluster silent-cluster (Secret ${ISTIO_NAMESPACE}/istio-remote-secret-silent (silent-cluster), ${silent.url}): timed out after 2s waiting for the Kubernetes API server ${silent.url} (GET /apis): its objects are not analyzed`,
        ]);
        // the success line says what was not looked at
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(
          '✔ No validation issues found when analyzing the cluster at ' +
            `${primary.server} (but 3 remote cluster(s) could not be read).`,
        );
        expect(existsSync(marker)).toBe(false);
        // --no-remote-secrets: the primary alone, as before multi-cluster analysis
        const alone = await runMesh([
          'analyze',
          '-n',
          QUIET,
          '--kubeconfig',
          kubeconfig,
          '--no-remote-secrets',
        ]);
        expect([alone.code, alone.stdout]).toEqual([0, '']);
        expect(alone.stderr).not.toContain('remote cluster');
        expect(alone.stderr).toContain(
          `✔ No validation issues found when analyzing the cluster at ${primary.server}.\n`,
        );
      } finally {
        await remove('istio-remote-secret-gone');
        await remove('istio-remote-secret-exec');
        await remove('istio-remote-secret-silent');
        await silent.close();
      }
    });
  });

  it("replays istioctl's multi-cluster conformance case: each cluster's file applied to its cluster", async () => {
    // InconsistentMultiClusterService (../shared/conformance/istio-analyze/expected.json): cluster1's file
    // in the primary, cluster2's in the remote; the expected IST0170 findings are upstream's
    const upstream = JSON.parse(readFileSync(join(CONFORMANCE, 'expected.json'), 'utf8')) as any[];
    const c = upstream.find((x) => x.uniqueName === 'InconsistentMultiClusterService')!;
    // (a fixed clusterIP outside the testbed's service range is refused: the API server allocates one, and
    // the Service stays a non-headless one, which is what the case compares)
    const objects = (file: string) =>
      parseAllDocuments(readFileSync(join(CONFORMANCE, file), 'utf8')).map((d) => {
        const o = d.toJS();
        if (o.spec.clusterIP !== 'None') delete o.spec.clusterIP;
        return o as KubernetesObject;
      });
    const other = clientsFor(remote.kubeconfig);
    for (const k of [admin, other])
      await k.core.createNamespace({ body: { metadata: { name: 'my-namespace' } } });
    await create(admin, objects(c.clusters.cluster1[0]));
    await create(other, objects(c.clusters.cluster2[0]));
    const run = await analyzeBoth('--analyzer', c.analyzer, '-o', 'json');
    expect(run.code, run.stderr).toBe(0); // IST0170 is a warning
    const found = JSON.parse(run.stdout)
      .findings.map((f: any) => `${f.code} ${f.origin}`)
      .filter((k: string) => k.includes(' my-namespace/'))
      .sort();
    expect(found).toEqual(c.expected.map((e: any) => `${e.code} ${e.resource}`).sort());
  });

  it('refuses an unknown context and --remote-contexts on files alone', async () => {
    const unknown = await runMesh(['analyze', '--kubeconfig', kubeconfig, '--remote-contexts', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.split('\n')[0]).toBe(`Error: context "nope" not found in kubeconfig ${kubeconfig}`);
    const offline = await runMesh(['analyze', 'examples/', '--remote-contexts', 'remote']);
    expect(offline.code).toBe(64);
    expect(offline.stderr.split('\n')[0]).toBe(
      'Error: --remote-contexts needs the cluster: analyze it (no paths), or overlay the files on it with --use-kube',
    );
  });
});
