// `mesh tag` against a real API server with two revisions installed by mesh (default and canary), next to
// the testbed's istioctl as the oracle: generate's objects, list's table/JSON/YAML, interoperability with
// istioctl's tags, the refusals, and ownership (install keeps tags, `uninstall -r` removes them).
// The testbed's API server runs without the admission webhook plugins, so where a pod would go is decided
// here from the live webhook configurations with the API server's selector rules (both selectors match).
import { describe, expect, it, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runMesh } from './support/mesh-cli.js';
import { runIstioctl } from './support/istioctl.js';
import { useNodesTestbed } from './support/nodes.js';
import { testbedBinDir } from './support/testbed.js';
import { selectorMatches } from '../../src/kube/labels.js';

const bed = useNodesTestbed();
const mesh = (...args: string[]) => runMesh([...args, '--kubeconfig', bed.tb.kubeconfig]);
const istioctl = (...args: string[]) =>
  runIstioctl(testbedBinDir(), [...args, '--kubeconfig', bed.tb.kubeconfig]);

const ADM = 'admissionregistration.k8s.io/v1';
const mwcs = async () =>
  ((await bed.c.objects.list(ADM, 'MutatingWebhookConfiguration')).items ?? []) as any[];

/** The webhooks a new pod with `podLabels` in namespace `ns` is sent to: `config/webhook → service`. */
async function injectorsFor(ns: string, podLabels: Record<string, string> = {}): Promise<string[]> {
  const nsLabels = (await bed.c.core.readNamespace({ name: ns })).metadata?.labels ?? {};
  const out: string[] = [];
  for (const c of await mwcs())
    for (const w of c.webhooks ?? [])
      if (selectorMatches(w.namespaceSelector, nsLabels) && selectorMatches(w.objectSelector, podLabels))
        out.push(`${c.metadata.name}/${w.name} → ${w.clientConfig.service?.name ?? w.clientConfig.url}`);
  return out.sort();
}

const label = async (ns: string, labels: Record<string, string>) => {
  await bed.c.core.createNamespace({ body: { metadata: { name: ns, labels } } }).catch(() => undefined);
};

/** istioctl's objects without what its Go serializer and Helm chart add (documented in the README). */
const docs = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .filter(Boolean);

describe('mesh tag', () => {
  beforeAll(async () => {
    for (const rev of [[], ['-r', 'canary']]) {
      const r = await mesh('install', '-y', '--set', 'profile=minimal', ...rev);
      expect(r.code, r.stderr).toBe(0);
    }
    await label('shop', { 'istio.io/rev': 'prod' });
    await label('legacy-ns', { 'istio-injection': 'enabled' });
  }, 120_000);

  it('generate: the objects istioctl generates, but for the documented labels and serializer leftovers', async () => {
    for (const tag of ['prod', 'default']) {
      const ours = await mesh('tag', 'generate', tag, '--revision', 'canary');
      const theirs = await istioctl('tag', 'generate', tag, '--revision', 'canary');
      expect(ours.code, ours.stderr).toBe(0);
      expect(theirs.code, theirs.stderr).toBe(0);
      const [a, b] = [docs(theirs.stdout), docs(ours.stdout)];
      expect(b.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
        a.map((o) => `${o.kind}/${o.metadata.name}`),
      );
      for (const [i, o] of a.entries()) {
        const mine = b[i];
        const chart = [
          'app.kubernetes.io/instance',
          'app.kubernetes.io/name',
          'app.kubernetes.io/part-of',
          'app.kubernetes.io/version',
          'helm.sh/chart',
          'release',
        ];
        // labels: istioctl's chart labels (and Helm's managed-by on the Service) → mesh's ownership labels
        const theirsOnly = Object.keys(o.metadata.labels).filter((k) => !(k in mine.metadata.labels));
        expect(theirsOnly.sort()).toEqual(chart.filter((k) => k in o.metadata.labels).sort());
        expect(mine.metadata.labels).toMatchObject({
          'app.kubernetes.io/managed-by': 'mesh',
          'operator.istio.io/component': 'Pilot',
          'install.operator.istio.io/owning-resource-namespace': 'istio-system',
          'install.operator.istio.io/owning-resource-not-pruned': 'true',
          'istio.io/rev': 'canary',
          'istio.io/tag': tag,
        });
        for (const k of ['app', 'istio', 'istio.io/rev', 'istio.io/tag'])
          expect(mine.metadata.labels[k], k).toEqual(o.metadata.labels[k]);
        // istioctl's Go serializer writes `targetPort: 0` (the API server's default: the port) and an empty status
        if (o.kind === 'Service') {
          for (const p of o.spec.ports) if (p.targetPort === 0) delete p.targetPort;
          expect(o.status).toEqual({ loadBalancer: {} });
          delete o.status;
        }
        const rest = (x: any) => ({ ...x, metadata: { ...x.metadata, labels: undefined } });
        expect(rest(mine)).toEqual(rest(o));
      }
    }
  });

  it('set: pods of namespaces labelled with the tag (and pods labelled with it) go to the revision', async () => {
    const r = await mesh('tag', 'set', 'prod', '--revision', 'canary');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('✔ Revision tag "prod" points at revision canary.');
    expect(await injectorsFor('shop')).toEqual([
      'istio-revision-tag-prod/rev.namespace.sidecar-injector.istio.io → istiod-canary',
    ]);
    await label('other', {});
    expect(await injectorsFor('other', { 'istio.io/rev': 'prod' })).toEqual([
      'istio-revision-tag-prod/rev.object.sidecar-injector.istio.io → istiod-canary',
    ]);
    expect(await injectorsFor('shop', { 'sidecar.istio.io/inject': 'false' })).toEqual([]);
    // again, same revision: nothing to refuse
    expect((await mesh('tag', 'set', 'prod', '--revision', 'canary')).code).toBe(0);
  });

  it('refuses to move a tag without --overwrite, a tag named as a revision, a revision not installed', async () => {
    const move = await mesh('tag', 'set', 'prod', '--revision', 'default');
    expect(move.code).toBe(1);
    expect(move.stderr).toContain(
      'Error: revision tag "prod" already exists and points at revision canary (MutatingWebhookConfiguration/istio-revision-tag-prod, Service/istio-system/istiod-revision-tag-prod)\nHint: to move it to revision default, add --overwrite\n',
    );
    // namespaces use it: off a terminal the move needs -y
    const unconfirmed = await mesh('tag', 'set', 'prod', '--revision', 'default', '--overwrite');
    expect(unconfirmed.code).toBe(64);
    expect(unconfirmed.stderr).toContain(
      'Warning: new pods of 1 namespace(s) (shop) will be injected by revision default instead of canary',
    );
    expect(await injectorsFor('shop')).toEqual([
      'istio-revision-tag-prod/rev.namespace.sidecar-injector.istio.io → istiod-canary',
    ]);
    const moved = await mesh('tag', 'set', 'prod', '--revision', 'default', '--overwrite', '-y');
    expect(moved.code, moved.stderr).toBe(0);
    expect(await injectorsFor('shop')).toEqual([
      'istio-revision-tag-prod/rev.namespace.sidecar-injector.istio.io → istiod',
    ]);
    expect((await mesh('tag', 'set', 'prod', '--revision', 'canary', '--overwrite', '-y')).code).toBe(0);

    const clash = await mesh('tag', 'set', 'canary', '--revision', 'default');
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain(
      'Error: cannot create revision tag "canary": revision canary is installed (MutatingWebhookConfiguration/istio-sidecar-injector-canary)',
    );
    const missing = await mesh('tag', 'set', 'x', '--revision', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'Error: revision "nope" is not installed: no MutatingWebhookConfiguration labelled istio.io/rev=nope (without istio.io/tag)\n',
    );
    expect((await mesh('tag', 'generate', 'x', '--revision', 'nope')).code).toBe(1);
    const bad = await mesh('tag', 'set', 'Prod_1', '--revision', 'canary');
    expect(bad.code).toBe(64);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect((await mesh('tag', 'set', 'prod')).code).toBe(64); // --revision is required
  });

  it("list: byte for byte istioctl's, with istioctl's tags and mesh's", async () => {
    const made = await istioctl('tag', 'set', 'legacy', '--revision', 'canary');
    expect(made.code, made.stderr).toBe(0);
    for (const o of [[], ['-o', 'json'], ['-o', 'yaml']]) {
      const [ours, theirs] = [await mesh('tag', 'list', ...o), await istioctl('tag', 'list', ...o)];
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
    }
    expect((await mesh('tag', 'list')).stdout).toBe(
      'TAG    REVISION NAMESPACES\nlegacy canary   \nprod   canary   shop\n       default  \n',
    );
    // mesh removes istioctl's tag (its webhook and Service)
    const rm = await mesh('tag', 'remove', 'legacy');
    expect(rm.code, rm.stderr).toBe(0);
    expect((await mwcs()).map((c) => c.metadata.name)).not.toContain('istio-revision-tag-legacy');
    expect((await istioctl('tag', 'list')).stdout).not.toContain('legacy');
    const none = await mesh('tag', 'remove', 'legacy');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Error: revision tag "legacy" not found');
  });

  it('remove: refuses while namespaces use the tag unless confirmed', async () => {
    const r = await mesh('tag', 'remove', 'prod');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(
      'Warning: 1 namespace(s) still use tag "prod" (istio.io/rev=prod): shop. Once it is removed their new pods get no sidecar.\n',
    );
    expect(r.stderr).toContain('Error: Remove tag "prod" anyway: refusing without -y (not a terminal)');
    expect(await injectorsFor('shop')).toHaveLength(1);
  });

  it('default: takes istio-injection=enabled namespaces, switches the default injector off, and back on when removed', async () => {
    expect(await injectorsFor('legacy-ns')).toEqual([
      'istio-sidecar-injector/namespace.sidecar-injector.istio.io → istiod',
    ]);
    const r = await mesh('tag', 'set', 'default', '--revision', 'canary', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Warning: new pods of 1 namespace(s) (legacy-ns) will be injected by revision canary',
    );
    expect(await injectorsFor('legacy-ns')).toEqual([
      'istio-revision-tag-default/namespace.sidecar-injector.istio.io → istiod-canary',
    ]);
    expect(await injectorsFor('other', { 'sidecar.istio.io/inject': 'true' })).toEqual([
      'istio-revision-tag-default/object.sidecar-injector.istio.io → istiod-canary',
    ]);
    const validator: any = await bed.c.objects.read({
      apiVersion: ADM,
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'istiod-default-validator' },
    });
    expect(validator.webhooks[0].clientConfig.service).toMatchObject({
      name: 'istiod-canary',
      path: '/validate',
    });
    // precheck of the default revision: the tag is a ‼ (what install does), not an overlap to remove
    const pre = await mesh('precheck');
    expect(pre.stdout).toContain(
      '‼ revision tag "default" exists (MutatingWebhookConfiguration/istio-revision-tag-default → revision canary) and switched the default revision\'s injector MutatingWebhookConfiguration/istio-sidecar-injector off',
    );
    expect(pre.stdout).not.toContain('already injects the same pods');
    // a --webhook-name naming the revision's own injector is refused, nothing changed
    const takeover = await mesh(
      'tag',
      'set',
      'x',
      '-r',
      'canary',
      '--webhook-name',
      'istio-sidecar-injector-canary',
    );
    expect(takeover.code).toBe(1);
    expect(takeover.stderr).toContain(
      'Error: MutatingWebhookConfiguration/istio-sidecar-injector-canary exists and is not revision tag "x"\'s',
    );
    expect(await injectorsFor('other', { 'istio.io/rev': 'canary' })).toEqual([
      'istio-sidecar-injector-canary/rev.object.sidecar-injector.istio.io → istiod-canary',
    ]);
    // installing the default revision again would switch its injector back on: a conflict naming mesh-tag
    const again = await mesh('install', '-y', '--set', 'profile=minimal');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'Error: MutatingWebhookConfiguration/istio-sidecar-injector: conflict: Apply failed with 8 conflicts: conflicts with "mesh-tag":',
    );
    // said before the plan is refused: what installing the default revision does next to the tag
    expect(again.stderr).toContain(
      'Warning: revision tag "default" exists (MutatingWebhookConfiguration/istio-revision-tag-default → revision canary) and switched the default revision\'s injector MutatingWebhookConfiguration/istio-sidecar-injector off: install of the default revision conflicts on its selectors (field manager mesh-tag); --force switches it on next to the tag',
    );
    expect(await injectorsFor('legacy-ns')).toHaveLength(1);
    const rm = await mesh('tag', 'remove', 'default', '-y');
    expect(rm.code, rm.stderr).toBe(0);
    expect(await injectorsFor('legacy-ns')).toEqual([
      'istio-sidecar-injector/namespace.sidecar-injector.istio.io → istiod',
    ]);
    expect(await injectorsFor('other')).toEqual([]);
    // and installing the default revision finds it as it left it
    const after = await mesh('install', '-y', '--set', 'profile=minimal');
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain('Nothing to change');
  });

  it('a revision in another namespace: the tag goes there, named as istioctl names it, and leaves with the revision', async () => {
    const r = await mesh(
      'install',
      '-y',
      '-r',
      'two',
      '--set',
      'namespace=istio-two',
      '--set',
      'profile=minimal',
    );
    expect(r.code, r.stderr).toBe(0);
    const wrong = await mesh('tag', 'set', 't2', '-r', 'two', '-i', 'istio-system');
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toContain(
      "Error: -i/--istioNamespace istio-system is not revision two's control plane namespace",
    );
    // before the tag exists (istioctl's generate refuses an existing tag)
    const ic = await istioctl('tag', 'generate', 't2', '-r', 'two', '-i', 'istio-two');
    expect(ic.code, ic.stderr).toBe(0);
    const theirs = docs(ic.stdout);
    const ours = docs((await mesh('tag', 'generate', 't2', '-r', 'two')).stdout);
    expect(ours.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual(
      theirs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`),
    );
    const set = await mesh('tag', 'set', 't2', '-r', 'two');
    expect(set.code, set.stderr).toBe(0);
    expect(await injectorsFor('other', { 'istio.io/rev': 't2' })).toEqual([
      'istio-revision-tag-t2-istio-two/rev.object.sidecar-injector.istio.io → istiod-two',
    ]);
    const svc = await bed.c.core.readNamespacedService({
      name: 'istiod-revision-tag-t2',
      namespace: 'istio-two',
    });
    expect(svc.metadata?.labels?.['install.operator.istio.io/owning-resource-namespace']).toBe('istio-two');
    // moved to canary: the istio-two configuration and Service are replaced, not left beside
    const moved = await mesh('tag', 'set', 't2', '-r', 'canary', '--overwrite', '-y');
    expect(moved.code, moved.stderr).toBe(0);
    expect((await mwcs()).map((c) => c.metadata.name)).not.toContain('istio-revision-tag-t2-istio-two');
    const rows = JSON.parse((await mesh('tag', 'list', '-o', 'json')).stdout) as any[];
    expect(rows.filter((row) => row.tag === 't2').map((row) => row.revision)).toEqual(['canary']);
    expect((await mesh('tag', 'set', 't2', '-r', 'two', '--overwrite', '-y')).code).toBe(0);
    const un = await mesh('uninstall', '-y', '-r', 'two', '--set', 'namespace=istio-two');
    expect(un.code, un.stderr).toBe(0);
    expect((await mwcs()).map((c) => c.metadata.name)).not.toContain('istio-revision-tag-t2-istio-two');
    const left = await bed.c.core.listServiceForAllNamespaces({ labelSelector: 'istio.io/tag=t2' });
    expect(left.items).toEqual([]);
  });

  it('install of the revision keeps its tags; uninstall -r warns about the tag and removes it', async () => {
    const install = await mesh('install', '-y', '--set', 'profile=minimal', '-r', 'canary');
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/^- .*revision-tag/m);
    expect(await injectorsFor('shop')).toHaveLength(1);
    // the default tag goes with canary too: the default injector it switched off is switched on again
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    expect(await injectorsFor('legacy-ns')).toEqual([
      'istio-revision-tag-default/namespace.sidecar-injector.istio.io → istiod-canary',
    ]);
    const plan = await mesh('uninstall', '-r', 'canary', '--dry-run');
    expect(plan.stderr).toContain('namespace shop (istio.io/rev=prod)');
    expect(plan.stderr).toContain(
      `Note: the "default" revision tag goes with revision canary: the default revision's injector it switched off is switched on again first`,
    );
    expect(plan.stdout).toContain('- MutatingWebhookConfiguration/istio-revision-tag-default');
    expect(plan.stdout).toContain('- MutatingWebhookConfiguration/istio-revision-tag-prod');
    expect(plan.stdout).toContain('- Service/istio-system/istiod-revision-tag-prod');
    const un = await mesh('uninstall', '-r', 'canary', '-y');
    expect(un.code, un.stderr).toBe(0);
    expect(un.stderr).toContain(
      "- MutatingWebhookConfiguration/istio-sidecar-injector (default revision's injector switched on again)",
    );
    expect(await injectorsFor('legacy-ns')).toEqual([
      'istio-sidecar-injector/namespace.sidecar-injector.istio.io → istiod',
    ]);
    expect((await mwcs()).map((c) => c.metadata.name).sort()).toEqual(['istio-sidecar-injector']);
    expect((await mesh('tag', 'list')).stdout).toBe('TAG REVISION NAMESPACES\n    default  \n');
  });
});
