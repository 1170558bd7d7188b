// `mesh check` against a real kube-apiserver (with the controller-manager, scheduler and a kwok node)
// after edits that left every Deployment "ready" and every webhook Service with endpoints, which check
// used to call all good: the webhook port removed from istiod's Service, a garbage webhook caBundle, mesh
// and injector ConfigMaps that do not parse, a gateway and istiod scaled to 0, a namespace with no pods.
// Each test asserts the exact line (and hint) a user reads.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa } from '../support/certs.js';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { clientsFor, uniqueName, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;
const ns = uniqueName('chk-g');
const rev = 'rg';
const args = ['--set', `namespace=${ns}`, '-r', rev];

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  c = clientsFor(tb.kubeconfig);
  const run = await mesh(['install', '-y', ...args]);
  expect(run.code, run.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

const mesh = (a: string[]) => runMesh([...a, '--kubeconfig', tb.kubeconfig]);
const check = () => mesh(['check', '--skip-proxies', ...args]);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function expectLine(run: MeshRun, line: string, hint?: string): void {
  const lines = run.stdout.split('\n');
  const at = lines.indexOf(line);
  expect(at, `${line}\nnot in:\n${run.stdout}`).toBeGreaterThanOrEqual(0);
  if (hint !== undefined) expect(lines[at + 1]).toBe(`    hint: ${hint}`);
}

const scale = (name: string, replicas: number) =>
  c.apps.patchNamespacedDeployment(
    { name, namespace: ns, body: [{ op: 'replace', path: '/spec/replicas', value: replicas }] },
    jsonPatch,
  );

describe('mesh check after edits that kept Deployments ready', () => {
  it('the webhook port gone from the Service, a garbage caBundle, ConfigMaps that do not parse, a gateway at 0, a namespace without pods', async () => {
    const svc = await c.core.readNamespacedService({ name: `istiod-${rev}`, namespace: ns });
    const at = svc.spec!.ports!.findIndex((p) => p.port === 443);
    await c.core.patchNamespacedService(
      {
        name: `istiod-${rev}`,
        namespace: ns,
        body: [{ op: 'replace', path: `/spec/ports/${at}/port`, value: 8443 }],
      },
      jsonPatch,
    );
    const injector = `istio-sidecar-injector-${rev}-${ns}`;
    const live: any = await c.objects.read({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: injector },
    } as any);
    live.webhooks[0].clientConfig.caBundle = Buffer.from('garbage').toString('base64');
    // the other one: a certificate, not the root istiod publishes
    live.webhooks[1].clientConfig.caBundle = Buffer.from(makeCa('other.example').certPem).toString('base64');
    await c.objects.replace(live);
    await c.core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: { name: 'istio-ca-root-cert' },
        data: { 'root-cert.pem': makeCa('cluster.local').certPem },
      },
    });
    await c.core.patchNamespacedConfigMap(
      { name: `istio-sidecar-injector-${rev}`, namespace: ns, body: { data: { config: '{{{ not yaml: [' } } },
      mergePatch,
    );
    await c.core.patchNamespacedConfigMap(
      { name: `istio-${rev}`, namespace: ns, body: { data: { mesh: 'defaultConfig: [unclosed' } } },
      mergePatch,
    );
    await scale('istio-ingressgateway', 0);
    const empty = uniqueName('empty');
    await c.core.createNamespace({ body: { metadata: { name: empty, labels: { 'istio.io/rev': rev } } } });

    const run = await check();
    // Before: "✓ … → Service …/istiod-rg has 1 ready endpoint(s)", "✓ Deployment/…/istio-ingressgateway
    // is ready", "✓ namespace …: every pod has a proxy of revision rg", and "Status: all good"
    expectLine(
      run,
      `× MutatingWebhookConfiguration/${injector} → Service ${ns}/istiod-${rev} has no port 443 (its ports: 15010, 15012, 8443, 15014); 2 webhooks call it (failurePolicy Fail: the API server refuses to create the pods it selects)`,
      'someone changed the Service: run mesh install with the same inputs to put its ports back',
    );
    expectLine(
      run,
      `× MutatingWebhookConfiguration/${injector}: the caBundle of webhook(s) ${live.webhooks[0].name} is not a PEM certificate: the API server cannot verify the webhook's TLS (failurePolicy Fail: the API server refuses to create the pods it selects)`,
      "istiod writes its CA's root there while it runs: is istiod running? check its logs if this stays",
    );
    expectLine(
      run,
      `‼ MutatingWebhookConfiguration/${injector}: the caBundle of webhook(s) ${live.webhooks[1].name} (O=other.example) is not the root in ${ns}/istio-ca-root-cert: the API server refuses istiod's serving certificate unless that CA signed it`,
      "istiod rewrites the caBundle with its CA's root while it runs: if this stays, istiod is not running or serves a certificate of another CA",
    );
    const parseHint =
      'istiod fails to start or to inject sidecars with it: run mesh install with the same inputs to rewrite it';
    expectLine(
      run,
      `× ConfigMap/${ns}/istio-sidecar-injector-${rev}: key config does not parse (line 1, column 16): Flow sequence in block collection must be sufficiently indented and end with a ]`,
      parseHint,
    );
    expectLine(
      run,
      `× ConfigMap/${ns}/istio-${rev}: key mesh does not parse (line 1, column 25): Flow sequence in block collection must be sufficiently indented and end with a ]`,
      parseHint,
    );
    expectLine(
      run,
      `‼ Deployment/${ns}/istio-ingressgateway is scaled to 0 replicas (READY 0/0): nothing serves the traffic it receives`,
      `scale it up if it should serve (kubectl scale deployment istio-ingressgateway -n ${ns} --replicas=1); a HorizontalPodAutoscaler does not scale up from 0`,
    );
    expectLine(run, `✓ namespace ${empty}: no pods yet; new pods get a proxy of revision ${rev}`);
    expect(run.stdout).not.toContain('istio-ingressgateway is ready');
    expect(run.code).toBe(79);
  });

  it('istiod scaled to 0: the control plane does not run', async () => {
    await scale(`istiod-${rev}`, 0);
    const run = await check();
    // Before: "✓ Deployment/…/istiod-rg is ready"
    expectLine(
      run,
      `× Deployment/${ns}/istiod-${rev} is scaled to 0 replicas (READY 0/0): the control plane does not run (no configuration pushed to proxies, no certificates signed, no sidecars injected)`,
      `scale it up: kubectl scale deployment istiod-${rev} -n ${ns} --replicas=1`,
    );
    expect(run.code).toBe(79);
  });
});
