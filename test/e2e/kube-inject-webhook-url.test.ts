// `mesh kube-inject --webhookConfig NAME` against the testbed's real API server, with injector webhooks
// given by `clientConfig.url` (a Kubernetes webhook outside the cluster) that point at a stand-in HTTPS
// server on 127.0.0.1: it speaks AdmissionReview admission.k8s.io/v1 as istiod does, and misbehaves in
// the ways the real one cannot be made to here (refusing a pod, failing, answering a patch that does not
// fit, a wrong certificate, closing the connection, never answering). istiod itself answers in
// kube-inject-webhook.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { writeLoopbackServingCert } from '../support/certs.js';
import { runMesh } from './support/mesh-cli.js';
import { apply, clientsFor, uniqueName, type Clients } from './support/kube.js';

const testbed = inject('testbed');
const dir = mkdtempSync(join(tmpdir(), 'mesh-inject-webhook-'));
const serving = writeLoopbackServingCert(dir, 'webhook');
const other = writeLoopbackServingCert(dir, 'other');
const pem = (f: string) => readFileSync(f, 'utf8');
const b64 = (s: string) => Buffer.from(s).toString('base64');

type Review = {
  request: { uid: string; namespace: string; name: string; object: any; operation: string; kind: any };
};
/** What the stand-in does with one AdmissionReview: answer (status, body) or do something to the socket. */
let behave: (review: Review, res: import('node:http').ServerResponse) => void;
const reviews: Review[] = [];
const server = https.createServer({ cert: pem(serving.certFile), key: pem(serving.keyFile) }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
    reviews.push(review);
    behave(review, res);
  });
});

const answer = (res: import('node:http').ServerResponse, uid: string, response: Record<string, unknown>) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, ...response },
    }),
  );
};
const patch = (ops: unknown[]) => ({
  allowed: true,
  patchType: 'JSONPatch',
  patch: b64(JSON.stringify(ops)),
});
const ADD_PROXY = [
  { op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy', image: 'proxyv2:test' } },
  {
    op: 'add',
    path: '/metadata/annotations',
    value: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' },
  },
];

let c: Clients;
let url: string;
const CONFIGS = {
  good: uniqueName('inj-good'),
  otherCa: uniqueName('inj-other-ca'),
  noInjector: uniqueName('inj-none'),
};

const mwc = (name: string, caPem: string, hookName = 'rev.namespace.sidecar-injector.istio.io') => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name },
  webhooks: [
    {
      name: hookName,
      clientConfig: { url, caBundle: b64(caPem) },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      // never matches anything the API server admits: this testbed runs without admission webhooks anyway
      objectSelector: { matchLabels: { 'mesh-e2e-never': 'true' } },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    },
  ],
});

const DEPLOYMENT = `# the app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: web:1
`;
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}  # kept as written\n';
const input = join(dir, 'in.yaml');
writeFileSync(input, `${SERVICE}---\n${DEPLOYMENT}`);

const kubeInject = (config: string, ...extra: string[]) =>
  runMesh([
    'kube-inject',
    '-f',
    input,
    '--kubeconfig',
    testbed.kubeconfig,
    '--webhookConfig',
    config,
    ...extra,
  ]);

/** A failed run: exit 1, nothing on stdout, one line on stderr (plus an optional hint line). */
async function fails(config: string, ...extra: string[]): Promise<string> {
  const r = await kubeInject(config, ...extra);
  expect(r.stdout).toBe('');
  expect(r.code, r.stderr).toBe(1);
  const [error, ...rest] = r.stderr.trimEnd().split('\n');
  expect(rest.every((l) => l.startsWith('Hint: ')) && rest.length <= 1, r.stderr).toBe(true);
  return error!;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/inject/cluster/Kubernetes/net/network1`;
  c = clientsFor(testbed.kubeconfig);
  await apply(c.objects, mwc(CONFIGS.good, pem(serving.certFile)));
  await apply(c.objects, mwc(CONFIGS.otherCa, pem(other.certFile)));
  await apply(c.objects, mwc(CONFIGS.noInjector, pem(serving.certFile), 'validation.istio.io'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  for (const name of Object.values(CONFIGS))
    await c.objects.delete({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
    });
});

describe('kube-inject --webhookConfig with a webhook at a url', () => {
  it('asks the webhook for each pod template and applies its JSONPatch; the other documents stay as written', async () => {
    behave = (review, res) => answer(res, review.request.uid, patch(ADD_PROXY));
    reviews.length = 0;
    const r = await kubeInject(CONFIGS.good);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${SERVICE}---\n# the app\n`)).toBe(true);
    const deployment = parseAllDocuments(r.stdout)[1]!.toJS();
    expect(deployment.spec.template.spec.containers.map((x: any) => x.name)).toEqual(['web', 'istio-proxy']);
    expect(deployment.spec.template.metadata.annotations['sidecar.istio.io/status']).toBe(
      '{"containers":["istio-proxy"]}',
    );
    // what the webhook was sent: a dry-run CREATE of a Pod in the workload's namespace, the template as the pod
    expect(reviews).toHaveLength(1);
    const req = reviews[0]!.request;
    expect(req).toMatchObject({
      operation: 'CREATE',
      namespace: 'shop',
      name: '',
      kind: { group: '', version: 'v1', kind: 'Pod' },
    });
    expect(req.uid).toMatch(/^[0-9a-f-]{36}$/);
    // (with `resources: {}` in each container, as Go encodes a Pod: istiod's patch is computed against that)
    expect(req.object).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web:1', resources: {} }] },
    });
  });

  it("applies a patch made against Go's encoding of the pod: the proxy put first, field by field", async () => {
    // what gomodules.xyz/jsonpatch makes of [web] → [istio-proxy, web] (lists are diffed index by index)
    behave = (review, res) =>
      answer(
        res,
        review.request.uid,
        patch([
          { op: 'add', path: '/spec/containers/1', value: { name: 'web', image: 'web:1', resources: {} } },
          { op: 'replace', path: '/spec/containers/0/name', value: 'istio-proxy' },
          { op: 'replace', path: '/spec/containers/0/image', value: 'proxyv2:test' },
          { op: 'add', path: '/spec/containers/0/resources/limits', value: { cpu: '2' } },
        ]),
      );
    const r = await kubeInject(CONFIGS.good);
    expect(r.stderr).toBe('');
    expect(parseAllDocuments(r.stdout)[1]!.toJS().spec.template.spec.containers).toEqual([
      { name: 'istio-proxy', image: 'proxyv2:test', resources: { limits: { cpu: '2' } } },
      { name: 'web', image: 'web:1' },
    ]);
  });

  it('a pod the webhook leaves alone (allowed, no patch) comes back byte for byte', async () => {
    behave = (review, res) => answer(res, review.request.uid, { allowed: true });
    const r = await kubeInject(CONFIGS.good);
    expect(r).toEqual({ code: 0, stdout: readFileSync(input, 'utf8'), stderr: '' });
  });

  it('a refusal, an HTTP error and a patch that does not fit are one line each, exit 1, nothing written', async () => {
    behave = (review, res) =>
      answer(res, review.request.uid, {
        allowed: false,
        // as istiod's refusals do, the message quotes the request on the next line: only the first is shown
        status: { message: `image web:1 is not allowed\n${JSON.stringify(review)}`, code: 403 },
      });
    expect(await fails(CONFIGS.good)).toBe(
      `Error: the injector webhook ${url} refused Deployment shop/web: image web:1 is not allowed`,
    );
    behave = (_review, res) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('injection failed: template error\nat line 3');
    };
    expect(await fails(CONFIGS.good)).toBe(
      `Error: the injector webhook ${url} answered HTTP 500 for Deployment shop/web: injection failed: template error`,
    );
    behave = (review, res) =>
      answer(res, review.request.uid, patch([{ op: 'replace', path: '/spec/volumes/0', value: {} }]));
    const out = join(dir, 'out.yaml');
    expect(await fails(CONFIGS.good, '-o', out)).toBe(
      `Error: Deployment shop/web: the patch of the injector webhook ${url} does not apply to the pod template: operation 1 (replace /spec/volumes/0): "volumes" does not exist`,
    );
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  });

  it('a certificate the caBundle does not vouch for, a closed connection and silence are errors naming the webhook', async () => {
    behave = (review, res) => answer(res, review.request.uid, patch(ADD_PROXY));
    const otherCaUrl = (await fails(CONFIGS.otherCa)).replace(url, '<url>');
    expect(otherCaUrl).toMatch(/^Error: cannot reach the injector webhook <url>: .*(self-signed|verify)/);
    behave = (_review, res) => res.socket!.destroy();
    expect(await fails(CONFIGS.good)).toMatch(
      new RegExp(`^Error: cannot reach the injector webhook ${url.replaceAll('/', '\\/')}: `),
    );
    behave = () => {};
    expect(await fails(CONFIGS.good, '--timeout', '1s')).toBe(
      `Error: the injector webhook ${url} did not answer within 1s`,
    );
  });

  it('a configuration that does not exist, or has no sidecar injector webhook', async () => {
    expect(await fails('no-such-webhook-config')).toBe(
      'Error: MutatingWebhookConfiguration "no-such-webhook-config" not found',
    );
    expect(await fails(CONFIGS.noInjector)).toBe(
      `Error: MutatingWebhookConfiguration "${CONFIGS.noInjector}" has no sidecar injector webhook (*.sidecar-injector.istio.io)`,
    );
  });

  it('refuses the flags that would decide the injection locally (exit 64), before reading anything', async () => {
    const r = await kubeInject(
      CONFIGS.good,
      '--set',
      'values.global.proxy.logLevel=debug',
      '--meshConfigFile',
      input,
    );
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      "Error: --webhookConfig asks the cluster's injector, which has its own template, values and mesh config: drop --meshConfigFile, --set",
    );
  });
});
