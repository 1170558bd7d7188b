// `mesh analyze` against the testbed's real kube-apiserver: the cluster alone and files over it, compared
// with the testbed's istioctl on the same server; a user without RBAC grants, a user who may not list
// Secrets, pagination, and a server that stops in the middle of the lists.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { parseAllDocuments, parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { istioCrds } from '../../src/install/crds.js';
import { runCli } from '../support/cli.js';
import { sarifErrors } from '../support/sarif.js';
import { apply, applyCrds, clientsFor, uniqueName } from './support/kube.js';

const testbed = inject('testbed');
const istioctl = join(testbed.binDir, 'istioctl');
const admin = clientsFor(testbed.kubeconfig);
const nsA = uniqueName('live-a');
const nsB = uniqueName('live-b');
const nsC = uniqueName('live-c');
const work = mkdtempSync(join(tmpdir(), 'mesh-live-'));
const SENTINEL = 'SENTINEL-SECRET-VALUE';

interface Finding {
  code: string;
  level: string;
  origin: string;
  message: string;
  namespace?: string;
  file?: string;
  line?: number;
  source?: string;
}

const key = (f: Finding): string => `${f.code} ${f.level} ${f.origin}: ${f.message}`;
/** The Gateway API CRD this test installs from an older bundle (the others are current). */
const OLD_CRD = 'CustomResourceDefinition tcproutes.gateway.networking.k8s.io';
/**
 * Findings on this test's objects only (other test files share the server): objects in its namespaces,
 * its cluster-scoped objects (named after its namespace) and the Gateway API CRDs it installs.
 */
const ours = (f: Finding): boolean =>
  f.origin.includes(nsA) || f.origin.includes(nsB) || f.origin.includes(nsC) || f.origin === OLD_CRD;

function fixture(name: string): Array<KubernetesObject & { status?: unknown }> {
  const text = readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8')
    .replaceAll('NS_A', nsA)
    .replaceAll('NS_B', nsB)
    .replaceAll('NS_C', nsC);
  return parseAllDocuments(text).map((d) => d.toJS());
}

/** Creates (applies) the fixture's objects, then writes the status a controller would have written. */
async function applyWithStatus(objects: Array<KubernetesObject & { status?: unknown }>): Promise<void> {
  const custom = admin.kc.makeApiClient(CustomObjectsApi);
  for (const { status, ...obj } of objects) {
    // (A kind whose CRD was just established may take a moment to be served; a fresh client each try,
    // as client-node remembers which kinds it found served.)
    for (let attempt = 1; ; attempt++) {
      try {
        await apply(KubernetesObjectApi.makeApiClient(admin.kc), obj);
        break;
      } catch (err) {
        if (attempt >= 40) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (!status) continue;
    const [group, version] = obj.apiVersion!.split('/') as [string, string];
    await custom.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        namespace: obj.metadata!.namespace!,
        plural: `${obj.kind!.toLowerCase()}s`,
        name: obj.metadata!.name!,
        body: { status },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}

/**
 * mesh's Istio findings equal istioctl's on the same objects, but for the documented deviations (README
 * "Live cluster: differences from istioctl"): each one is the exact finding (`key`) one side gives and the
 * other does not, and each must happen in the run that lists it.
 */
interface Deviation {
  only: 'mesh' | 'istioctl';
  key: string;
  why: string;
}
const VS_ON_K8S_GATEWAY: Deviation = {
  only: 'istioctl',
  key: `IST0101 Error VirtualService ${nsA}/web-legacy: Referenced gateway not found: "web"`,
  why: 'istioctl looks only for Istio Gateways (istio/istio#60708, fixed upstream by #60776); mesh finds the Gateway API Gateway',
};

function expectLikeIstioctl(mesh: Finding[], oracle: Finding[], deviations: Deviation[] = []): void {
  const listed = (side: Deviation['only']) =>
    new Set(deviations.filter((d) => d.only === side).map((d) => d.key));
  const ours = mesh.filter((f) => f.code.startsWith('IST')).map(key);
  const theirs = oracle.map(key);
  expect(ours.filter((k) => !listed('mesh').has(k)).sort()).toEqual(
    theirs.filter((k) => !listed('istioctl').has(k)).sort(),
  );
  // Every listed deviation happens, exactly as written; one that no longer does must leave the list.
  for (const d of deviations) expect(d.only === 'mesh' ? ours : theirs, `stale: ${d.why}`).toContain(d.key);
}

function istioctlAnalyze(args: string[]): Finding[] {
  const run = spawnSync(istioctl, ['analyze', '--kubeconfig', testbed.kubeconfig, '-o', 'json', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect([0, 79], `${run.stderr}`).toContain(run.status);
  // (istioctl logs to stdout too: a warning about the outdated TCPRoute CRD comes before the JSON.)
  return JSON.parse(run.stdout.slice(run.stdout.search(/^\[/m))) as Finding[];
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
  await applyCrds(admin.kc, [...(istioCrds() as KubernetesObject[]), ...fixture('gateway-api-crds.yaml')]);
  await applyWithStatus(fixture('live-cluster.yaml'));
});

afterAll(async () => {
  // Cluster-scoped objects outlive the namespaces: remove them (the webhooks would pile up run after run).
  for (const obj of fixture('live-cluster.yaml'))
    if (!obj.metadata!.namespace && obj.kind !== 'Namespace')
      await admin.objects.delete(obj).catch((err) => {
        if (!(err instanceof ApiException && err.code === 404)) throw err;
      });
});

describe('mesh analyze on a live cluster', () => {
  it('reports what istioctl analyze -A reports for the same cluster', async () => {
    const oracle = istioctlAnalyze(['-A']).filter(ours);
    const run = await meshAnalyze(['-A', '-o', 'json']);
    expect(run.code, run.stderr).toBe(79);
    const mesh = report(run.stdout).findings.filter(ours);
    expect(oracle.length).toBeGreaterThan(3);
    expectLikeIstioctl(mesh, oracle, [VS_ON_K8S_GATEWAY]);
    // What the cluster does not hold does not exist: the policy of an app not deployed is reported (files
    // alone skip these references: the Services and workloads may come from another repository).
    expect(mesh.filter((f) => f.origin.includes(nsC)).map(key)).toEqual([
      `IST0101 Error Sidecar ${nsC}/orders: Referenced selector not found: "app=orders"`,
      `IST0101 Error VirtualService ${nsC}/orders: Referenced host not found: "orders"`,
      // one finding per Sidecar for the pod, none for its Deployment's template (a pod "ledger" does not exist)
      `IST0110 Error Sidecar ${nsC}/ledger-egress: The Sidecars [ledger-egress ledger-tuning] in namespace "${nsC}" select the same workload pod "ledger-7d4b9-x2x7q", which can lead to undefined behavior.`,
      `IST0110 Error Sidecar ${nsC}/ledger-tuning: The Sidecars [ledger-egress ledger-tuning] in namespace "${nsC}" select the same workload pod "ledger-7d4b9-x2x7q", which can lead to undefined behavior.`,
      // a Deployment scaled to zero runs no pod for the policy
      `IST0127 Warning AuthorizationPolicy ${nsC}/batch-allow: No matching workloads for this resource with the following labels: app=batch`,
      `IST0127 Warning AuthorizationPolicy ${nsC}/orders-allow: No matching workloads for this resource with the following labels: app=orders`,
      `IST0146 Warning Deployment ${nsC}/billing-gateway: Deployment billing-gateway contains \`image: auto\` but does not match any Istio injection webhook selectors.`,
      `IST0174 Warning DestinationRule ${nsC}/orders: The host orders defined in the DestinationRule does not match any services in the mesh.`,
    ]);
    // The Gateway API: a policy selecting the Kubernetes Gateway's pods, an outdated CRD.
    expect(mesh.map(key)).toEqual(
      expect.arrayContaining([
        `IST0166 Warning AuthorizationPolicy ${nsA}/web-gateway-allow: Ineffective selector on Kubernetes Gateway web. Use the TargetRef field instead.`,
        expect.stringMatching(
          /^IST0176 Warning CustomResourceDefinition tcproutes.gateway.networking.k8s.io: /,
        ),
      ]),
    );
    // The webhooks are labelled for another revision: neither tool reads them for the default one.
    expect(mesh.filter((f) => /WebhookConfiguration/.test(f.origin))).toEqual([]);
    expect(run.stdout).toContain('"otherRevisions"');
    // Objects of the cluster have no file: the finding names the object and says where it came from.
    for (const f of mesh) {
      expect(f.file).toBeUndefined();
      expect(f.line).toBeUndefined();
      expect(f.source).toBe('cluster');
    }
  });

  it('reads the objects of the revision given with --revision, as istioctl does: its webhooks', async () => {
    const oracle = istioctlAnalyze(['-A', '--revision', nsA]).filter(ours);
    const run = await meshAnalyze(['-A', '--revision', nsA, '-o', 'json']);
    const mesh = report(run.stdout).findings.filter(ours);
    expectLikeIstioctl(mesh, oracle, [VS_ON_K8S_GATEWAY]);
    const webhooks = mesh.filter((f) => /WebhookConfiguration/.test(f.origin)).map(key);
    expect(webhooks.sort()).toEqual([
      `IST0139 Error MutatingWebhookConfiguration istio-revision-tag-${nsA}: Webhook overlaps with others: [istio-sidecar-injector-${nsA}/rev.namespace.sidecar-injector.istio.io]. This may cause injection to occur twice.`,
      `IST0139 Error MutatingWebhookConfiguration istio-sidecar-injector-${nsA}: Injector refers to a control plane service that does not exist: istio-system/istiod-${nsA}.`,
      `IST0139 Error MutatingWebhookConfiguration istio-sidecar-injector-${nsA}: Webhook overlaps with others: [istio-revision-tag-${nsA}/rev.namespace.sidecar-injector.istio.io]. This may cause injection to occur twice.`,
      `IST0164 Info ValidatingWebhookConfiguration istio-validator-${nsA}-istio-system: The address (https://127.0.0.1:15017/validate) that was provided for the webhook (rev.validation.istio.io) to reach the ingress gateway on the external control plane cluster is an IP address. This is not recommended for a production environment.`,
    ]);
  });

  it('names cluster objects (Kind ns/name) and no file in every output format', async () => {
    const origin = `VirtualService ${nsA}/reviews`;
    const message = 'Referenced gateway not found: "pubic"';
    const out: Record<string, string> = {};
    for (const format of ['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate']) {
      const run = await meshAnalyze(['-n', nsA, '-o', format]);
      expect(run.code, `${format}: ${run.stderr}`).toBe(79);
      out[format] = run.stdout;
    }
    // istioctl's line, without the file:line a file's object gets.
    expect(out.log!.split('\n')).toContain(`Error [IST0101] (${origin}) ${message}`);
    for (const format of ['json', 'yaml']) {
      const findings: Finding[] = parse(out[format]!).findings;
      const f = findings.find((x) => x.origin === origin && x.code === 'IST0101')!;
      expect(f, format).toMatchObject({ message, source: 'cluster' });
      expect(
        findings.every((x) => x.file === undefined && x.line === undefined),
        format,
      ).toBe(true);
    }
    const sarif = JSON.parse(out.sarif!);
    expect(sarifErrors(sarif)).toEqual([]);
    const result = sarif.runs[0].results.find((r: any) => r.message.text === `${message} (${origin})`);
    expect(result.properties).toEqual({ source: 'cluster' });
    expect(result.locations).toEqual([
      { logicalLocations: [{ fullyQualifiedName: `${origin}#spec.gateways[1]`, kind: 'resource' }] },
    ]);
    // GitHub annotations without file= are shown on the run, not on a line of a file.
    expect(out.github!.split('\n')).toContain(`::error title=IST0101 ${origin}::[IST0101] ${message}`);
    expect(out.github).not.toContain('file=');
    // JUnit: one test case per analyzer and object, named by the object, with no file attribute.
    expect(out.junit).toContain(
      `<testcase name="${origin}" classname="virtualservice.GatewayAnalyzer">\n      <failure message="[IST0101] ${message.replaceAll('"', '&quot;')}" type="IST0101">`,
    );
    expect(out.junit).not.toContain('file=');
    // GitLab Code Quality requires a path: cluster findings point at the repository root, line 1.
    const issue = (JSON.parse(out.codeclimate!) as any[]).find(
      (i) => i.description === `[IST0101] ${origin}: ${message}`,
    );
    expect(issue).toMatchObject({ check_name: 'IST0101', location: { path: '.', lines: { begin: 1 } } });
  });

  it('reports one namespace with -n, as istioctl does', async () => {
    const oracle = istioctlAnalyze(['-n', nsA]);
    const run = await meshAnalyze(['-n', nsA, '-o', 'json']);
    const mesh = report(run.stdout).findings;
    expect(mesh.length).toBeGreaterThan(0);
    // Objects of other namespaces are left out; cluster-scoped ones (the outdated CRD) stay, as in istioctl.
    expect(mesh.filter((f) => f.namespace && f.namespace !== nsA).map(key)).toEqual([]);
    expectLikeIstioctl(mesh, oracle, [VS_ON_K8S_GATEWAY]);
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
    expectLikeIstioctl(mesh, oracle, [VS_ON_K8S_GATEWAY]);
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

  it('files over the cluster: a policy for a Deployment the same files add matches the pods it will run', async () => {
    const file = join(work, 'new-app.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        `metadata: {name: invoices, namespace: ${nsC}}`,
        'spec:',
        '  selector: {matchLabels: {app: invoices}}',
        '  template:',
        '    metadata: {labels: {app: invoices}}',
        '    spec: {containers: [{name: invoices, image: example/invoices:1.0}]}',
        '---',
        'apiVersion: security.istio.io/v1',
        'kind: AuthorizationPolicy',
        `metadata: {name: invoices-allow, namespace: ${nsC}}`,
        'spec:',
        '  selector: {matchLabels: {app: invoices}}',
        '  action: ALLOW',
        `  rules: [{from: [{source: {namespaces: [${nsC}]}}]}]`,
        '',
      ].join('\n'),
    );
    const oracle = istioctlAnalyze(['-A', '--use-kube=true', file]).filter(ours);
    const run = await meshAnalyze(['-A', '--use-kube', '-o', 'json', file]);
    const mesh = report(run.stdout).findings.filter(ours);
    // istioctl matches the policy against the pods running now; mesh also against the templates of the
    // files, which applying them will run (the cluster's own templates are what its pods show)
    expectLikeIstioctl(mesh, oracle, [
      VS_ON_K8S_GATEWAY,
      {
        only: 'istioctl',
        key: `IST0127 Warning AuthorizationPolicy ${nsC}/invoices-allow: No matching workloads for this resource with the following labels: app=invoices`,
        why: 'a Deployment of the files is what applying them will run',
      },
    ]);
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
    // the admin impersonating that user sees what the user sees
    const as = await meshAnalyze(['-A', '-o', 'json', '--as', 'mesh-e2e-user']);
    expect(as.code, as.stderr).toBe(0);
    expect(report(as.stdout).summary.cluster.denied).toEqual(report(run.stdout).summary.cluster.denied);
    // the success line says how much was not looked at (this user may list no Istio kind: no finding)
    const log = await meshAnalyze(['-A'], testbed.restrictedKubeconfig);
    const skippedCount = /skipped (\d+) analyzer\(s\)/.exec(log.stderr)![1];
    expect([log.code, log.stdout]).toEqual([0, '']);
    expect(log.stderr).toContain(
      `✔ No validation issues found when analyzing the cluster at ${testbed.server} (but ${skippedCount} analyzer(s) were skipped: kinds they read could not be read).`,
    );
  });

  it('skips only the analyzers that read the kind a user may not list', async () => {
    const rbac = admin.kc.makeApiClient(RbacAuthorizationV1Api);
    const sa = uniqueName('no-secrets');
    await admin.core.createNamespacedServiceAccount({ namespace: nsB, body: { metadata: { name: sa } } });
    const groups = [
      'apps',
      'admissionregistration.k8s.io',
      'apiextensions.k8s.io',
      'networking.istio.io',
      'security.istio.io',
      'telemetry.istio.io',
      'extensions.istio.io',
      'gateway.networking.k8s.io',
    ];
    await rbac.createClusterRole({
      body: {
        metadata: { name: sa },
        rules: [
          {
            apiGroups: [''],
            resources: ['namespaces', 'services', 'pods', 'configmaps', 'serviceaccounts', 'nodes'],
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
