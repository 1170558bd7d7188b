// `mesh precheck` against CRDs already in a real kube-apiserver (its own: this file writes cluster-scoped
// Istio and Gateway API CRDs that other files must not see): Istio CRDs of other versions and owners,
// leftovers of older Istio releases, and the Gateway API CRDs istiod's Gateway API support needs.
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { apply, clientsFor, type Clients } from './support/kube.js';
import { establishCrds } from './support/kwok.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;

beforeAll(async () => {
  tb = await startTestbed();
  c = clientsFor(tb.kubeconfig);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

interface Result {
  group: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  hint?: string;
}

async function precheck(): Promise<{ code: number; text: string; results: Result[] }> {
  const json = await runMesh(['precheck', '--kubeconfig', tb.kubeconfig, '-o', 'json']);
  const text = await runMesh(['precheck', '--kubeconfig', tb.kubeconfig]);
  expect(text.code).toBe(json.code);
  return { code: json.code, text: text.stdout, results: JSON.parse(json.stdout).results };
}
const of = (results: Result[], group: string) =>
  results.filter((r) => r.group === group).map((r) => `${r.status} ${r.message}`);

/** A CRD as another tool (or an older release) would have written it; `versions[0]` is the storage one. */
function crd(
  group: string,
  kind: string,
  plural: string,
  versions: string[],
  annotations: Record<string, string> = {},
): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, annotations },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      })),
    },
  };
}

const GW = 'gateway.networking.k8s.io';
const gatewayApi = (bundle: string, kinds: Array<[string, string, string[]]>) =>
  kinds.map(([kind, plural, versions]) =>
    crd(GW, kind, plural, versions, {
      // The API server requires it of CRDs in *.k8s.io groups; Gateway API's CRDs carry their approval.
      'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/1538',
      [`${GW}/bundle-version`]: bundle,
      [`${GW}/channel`]: 'standard',
    }),
  );

describe('mesh precheck: CRDs already in the cluster', () => {
  it('a fresh cluster: no Istio CRDs; Gateway API missing is a warning with a hint, not a problem (exit 0)', async () => {
    const r = await precheck();
    expect(r.code).toBe(0);
    expect(of(r.results, 'CRDs')).toEqual(['ok no Istio CRDs yet']);
    expect(of(r.results, 'Gateway API')).toEqual([`warn Gateway API CRDs (${GW}) are not installed`]);
    expect(r.text).toContain(
      `‼ Gateway API CRDs (${GW}) are not installed\n    hint: Istio does not install them`,
    );
    expect(r.text).toContain('Status: all good (1 warning(s))');
  });

  it("--as: the Permissions hints name the impersonated user and group, not the context's user", async () => {
    const run = await runMesh([
      'precheck',
      '--kubeconfig',
      tb.kubeconfig,
      '-o',
      'json',
      '--as',
      'alice',
      '--as-group',
      'devs',
    ]);
    expect(run.code, run.stderr).toBe(79);
    const denied = (JSON.parse(run.stdout).results as Result[]).filter(
      (r) => r.group === 'Permissions' && r.status === 'fail',
    );
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied)
      expect(r.hint).toBe(
        'ask a cluster admin for these RBAC permissions (the impersonated user "alice", group "devs", lacks them)',
      );
    const plain = await runMesh(['precheck', '--kubeconfig', tb.kubeconfig, '--as', 'alice']);
    expect(plain.stdout).toContain(
      'hint: ask a cluster admin for these RBAC permissions (the impersonated user "alice" lacks them)',
    );
    expect(plain.stdout).not.toContain('the user of context');
  });

  it('Gateway API: an old release is named with the kinds istiod cannot read; an upgraded one is ok', async () => {
    await establishCrds(
      c,
      gatewayApi('v0.8.1', [
        ['GatewayClass', 'gatewayclasses', ['v1beta1', 'v1alpha2']],
        ['Gateway', 'gateways', ['v1beta1', 'v1alpha2']],
        ['HTTPRoute', 'httproutes', ['v1beta1', 'v1alpha2']],
        ['ReferenceGrant', 'referencegrants', ['v1beta1', 'v1alpha2']],
      ]),
    );
    const old = await precheck();
    expect(old.code).toBe(0);
    expect(of(old.results, 'Gateway API')).toEqual([
      'ok Gateway API v0.8.1 (standard channel) installed',
      'warn GatewayClass is served at v1beta1, v1alpha2, not v1',
      'warn Gateway is served at v1beta1, v1alpha2, not v1',
      'warn HTTPRoute is served at v1beta1, v1alpha2, not v1',
      `warn GRPCRoute (grpcroutes.${GW}) is not installed`,
    ]);

    // Upgrading half of the CRDs mixes two releases.
    const next = gatewayApi('v1.2.1', [
      ['GatewayClass', 'gatewayclasses', ['v1', 'v1beta1']],
      ['Gateway', 'gateways', ['v1', 'v1beta1']],
      ['HTTPRoute', 'httproutes', ['v1', 'v1beta1']],
      ['GRPCRoute', 'grpcroutes', ['v1']],
      // ReferenceGrant keeps serving v1alpha2 too: only the versions istiod reads count.
      ['ReferenceGrant', 'referencegrants', ['v1beta1', 'v1alpha2']],
    ]);
    for (const body of next.slice(0, 2)) await apply(c.objects, body);
    const mixed = await precheck();
    expect(of(mixed.results, 'Gateway API')).toContain(
      'warn CRDs of different Gateway API releases: v0.8.1, v1.2.1',
    );
    for (const body of next.slice(2)) await apply(c.objects, body);
    await establishCrds(c, next);
    const upgraded = await precheck();
    expect(of(upgraded.results, 'Gateway API')).toEqual([
      'ok Gateway API v1.2.1 (standard channel): GatewayClass v1/v1beta1, Gateway v1/v1beta1, HTTPRoute v1/v1beta1, GRPCRoute v1, ReferenceGrant v1beta1/v1alpha2',
    ]);
    expect(upgraded.code).toBe(0);
  });

  it('Istio CRDs of other versions: stored versions mesh drops block (× exit 79, and the server refuses indeed); others are warnings', async () => {
    const NET = 'networking.istio.io';
    await establishCrds(c, [
      // An old release's DestinationRule: only v1alpha3, another owner.
      crd(NET, 'DestinationRule', 'destinationrules', ['v1alpha3']),
      // A VirtualService CRD storing objects at v1alpha2, which mesh's CRD does not list.
      crd(NET, 'VirtualService', 'virtualservices', ['v1alpha2', 'v1alpha3']),
      // Gateway with a served version mesh's CRD drops (nothing stored there).
      crd(NET, 'Gateway', 'gateways', ['v1', 'v1alpha3', 'v1beta1', 'v1alpha2']),
      // A CRD of Istio 1.4 that no later release installs.
      crd('rbac.istio.io', 'RbacConfig', 'rbacconfigs', ['v1alpha1']),
    ]);
    await c.objects.create({
      apiVersion: `${NET}/v1alpha2`,
      kind: 'VirtualService',
      metadata: { name: 'old', namespace: 'default' },
      spec: { hosts: ['reviews'] },
    } as any);
    const r = await precheck();
    expect(r.code).toBe(79);
    expect(of(r.results, 'CRDs')).toEqual([
      `fail virtualservices.${NET} has objects stored at v1alpha2, which mesh's CRD (v1, v1beta1, v1alpha3) does not list: the API server refuses to drop a stored version`,
      `warn destinationrules.${NET} (served v1alpha3) does not serve v1, v1beta1 yet`,
      `warn destinationrules.${NET} was installed by another tool`,
      `warn gateways.${NET} (served v1, v1alpha3, v1beta1, v1alpha2) also has v1alpha2, which mesh's CRD drops`,
      `warn gateways.${NET} was installed by another tool`,
      'warn rbacconfigs.rbac.istio.io (served v1alpha1) is not a CRD mesh installs',
      `warn virtualservices.${NET} (served v1alpha2, v1alpha3) does not serve v1, v1beta1 yet`,
      `warn virtualservices.${NET} was installed by another tool`,
    ]);
    expect(r.text).toContain('hint: rewrite those objects at a version mesh lists');
    // install's plan: it refuses the CRDs another tool made, and --force fails on the stored version
    expect(r.results.filter((x) => x.group === 'Install plan')).toEqual([
      {
        group: 'Install plan',
        status: 'fail',
        message: `install would refuse: 3 object(s) exist that mesh did not create (written by node-fetch): CustomResourceDefinition/destinationrules.${NET}, CustomResourceDefinition/gateways.${NET}, CustomResourceDefinition/virtualservices.${NET}`,
        hint: expect.stringMatching(
          /^mesh takes over only objects it created, and install --force would fail too \(CustomResourceDefinition\/virtualservices\.networking\.istio\.io: .*storedVersions.*\): remove the other tool's install first/,
        ),
      },
    ]);
    expect(r.text).toContain(
      'hint: mesh takes over only objects it created: install refuses it without --force (see Install plan)',
    );
    expect(r.text).toMatch(/Status: 2 problem\(s\) found, \d+ warning\(s\)/);

    // The × is real: the server refuses the CRD install would write (the plan is its dry run).
    const plan = await runMesh(['install', '--dry-run', '--force', '--kubeconfig', tb.kubeconfig]);
    expect(plan.code, plan.stdout).not.toBe(0);
    expect(plan.stderr).toContain(`virtualservices.${NET}`);
    expect(plan.stderr).toContain('storedVersions');
    const live = await c.kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({
      name: `virtualservices.${NET}`,
    });
    expect(live.status?.storedVersions).toEqual(['v1alpha2']);
  });
});
