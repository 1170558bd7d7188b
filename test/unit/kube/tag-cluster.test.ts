/**
 * `mesh tag` against a stateful stand-in API server (tag-fake-cluster.ts), for what the testbed cannot
 * easily stage (refused verbs, istioctl's leftovers): the default injector left switched off, the control
 * plane namespace, taking over or leaving other configurations, partial failures, and what uninstall
 * calls (holdsDefaultTag, restoreDefaultInjector).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { loadKubeContext } from '../../../src/kube/config.js';
import { KubeRest } from '../../../src/kube/rest.js';
import {
  defaultTagWarning,
  holdsDefaultTag,
  restoreDefaultInjector,
  tagObjectsFound,
  findTag,
} from '../../../src/kube/tags.js';
import { isDeactivated } from '../../../src/install/tags.js';
import {
  injector,
  installValidator,
  namespace,
  startFakeCluster,
  type FakeCluster,
} from './tag-fake-cluster.js';

let c: FakeCluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', c!.kubeconfig]);
const MWC = 'mutatingwebhookconfigurations';
const VWC = 'validatingwebhookconfigurations';
const mwcNames = () =>
  [...c!.objects.entries()]
    .filter(([k]) => k.startsWith(`${MWC}/`))
    .map(([, o]) => o.metadata.name)
    .sort();
const rest = () => new KubeRest(loadKubeContext({ kubeconfig: c!.kubeconfig }), 5000);
const svcKeys = () => [...c!.objects.keys()].filter((k) => k.startsWith('services/')).sort();

const setup = () =>
  startFakeCluster([
    injector('default'),
    injector('canary'),
    injector('two', 'istio-two'),
    namespace('legacy', { 'istio-injection': 'enabled' }),
    namespace('pinned', { 'istio.io/rev': 'default' }),
    namespace('shop', { 'istio.io/rev': 'prod' }),
  ]);

describe('tag default and uninstall of its revision', () => {
  it('holdsDefaultTag finds the default tag; restoreDefaultInjector switches the injector on', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    expect((await mesh('tag', 'set', 'prod', '-r', 'canary')).code).toBe(0);
    expect(isDeactivated(c.get(MWC, 'istio-sidecar-injector'))).toBe(true);
    const found = tagObjectsFound(await findTag(rest(), 'default'));
    expect(holdsDefaultTag(found)).toBe(true);
    expect(await restoreDefaultInjector(rest())).toEqual([
      "MutatingWebhookConfiguration/istio-sidecar-injector (default revision's injector switched on again)",
    ]);
    const back = c.get(MWC, 'istio-sidecar-injector');
    expect(isDeactivated(back)).toBe(false);
    expect(back.webhooks[2].namespaceSelector).toEqual(injector('default')[1].webhooks[2].namespaceSelector);
    expect(back.metadata.annotations?.['mesh-cli.dev/selectors-before-default-tag']).toBeUndefined();
    expect(await restoreDefaultInjector(rest())).toEqual([]);
  });

  it('tag remove default works when only the deactivation is left (tag objects gone)', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    // an uninstall of canary that did not switch the injector back on
    for (const o of tagObjectsFound(await findTag(rest(), 'default')))
      c.remove(
        o.kind === 'Service' ? 'services' : o.kind === 'MutatingWebhookConfiguration' ? MWC : VWC,
        String(o.metadata.name),
        o.metadata.namespace as string | undefined,
      );
    const r = await mesh('tag', 'remove', 'default');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Revision tag "default" has no objects left, but the default revision\'s injector is still switched off by it: MutatingWebhookConfiguration/istio-sidecar-injector',
    );
    expect(r.stderr).toContain(
      "- MutatingWebhookConfiguration/istio-sidecar-injector (default revision's injector switched on again)",
    );
    expect(isDeactivated(c.get(MWC, 'istio-sidecar-injector'))).toBe(false);
    expect((await mesh('tag', 'remove', 'default')).code).toBe(1);
  });

  it("defaultTagWarning: install's plan warning while a default tag exists", async () => {
    c = await setup();
    expect(await defaultTagWarning(rest(), '')).toBeUndefined();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    expect(await defaultTagWarning(rest(), 'canary')).toBeUndefined();
    expect(await defaultTagWarning(rest(), 'default')).toContain(
      "switched the default revision's injector MutatingWebhookConfiguration/istio-sidecar-injector off: install of the default revision conflicts on its selectors (field manager mesh-tag)",
    );
    c.remove(MWC, 'istio-sidecar-injector');
    expect(await defaultTagWarning(rest(), '')).toBe(
      'Warning: revision tag "default" exists (MutatingWebhookConfiguration/istio-revision-tag-default → revision canary): install of the default revision creates its injector switched on next to the tag\n' +
        '  both would inject the same pods (istio-injection=enabled and istio.io/rev=default namespaces): remove the tag first (mesh tag remove default), or after installing point it at the default revision (mesh tag set default -r default --overwrite)',
    );
  });
});

describe('tag set', () => {
  it("takes the control plane namespace from the revision's injector; refuses a contradicting -i", async () => {
    c = await setup();
    const r = await mesh('tag', 'set', 't2', '-r', 'two');
    expect(r.code, r.stderr).toBe(0);
    const hook = c.get(MWC, 'istio-revision-tag-t2-istio-two');
    expect(hook.metadata.labels['install.operator.istio.io/owning-resource-namespace']).toBe('istio-two');
    expect(hook.webhooks[0].clientConfig.service.namespace).toBe('istio-two');
    expect(svcKeys()).toEqual(['services/istio-two/istiod-revision-tag-t2']);
    const wrong = await mesh('tag', 'set', 't3', '-r', 'two', '-i', 'istio-system');
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toContain(
      "Error: -i/--istioNamespace istio-system is not revision two's control plane namespace: its injector MutatingWebhookConfiguration/istio-sidecar-injector-two-istio-two belongs to istio-two",
    );
    expect(mwcNames()).not.toContain('istio-revision-tag-t3');
    expect((await mesh('tag', 'set', 't3', '-r', 'two', '-i', 'istio-two')).code).toBe(0);
    // generate: the same namespace and istioctl's name for a control plane outside istio-system
    const g = await mesh('tag', 'generate', 't4', '-r', 'two');
    expect(g.stdout).toContain('name: istio-revision-tag-t4-istio-two');
    expect(g.stdout).toContain('namespace: istio-two');
    expect(g.stdout).not.toContain('istio-system');
  });

  it("refuses a --webhook-name naming a configuration that is not the tag's, changing nothing", async () => {
    c = await setup();
    const before = structuredClone(c.get(MWC, 'istio-sidecar-injector-canary'));
    const r = await mesh(
      'tag',
      'set',
      'prod',
      '-r',
      'canary',
      '--webhook-name',
      'istio-sidecar-injector-canary',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Error: MutatingWebhookConfiguration/istio-sidecar-injector-canary exists and is not revision tag "prod"\'s (it belongs to revision canary (mesh install), not to a tag): mesh does not take it over',
    );
    expect(c.get(MWC, 'istio-sidecar-injector-canary')).toEqual(before);
    expect(svcKeys()).toEqual([]);
  });

  it('moving or renaming a tag replaces its earlier configurations and Services', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'prod', '-r', 'canary', '--webhook-name', 'my-prod')).code).toBe(0);
    expect(mwcNames()).toContain('my-prod');
    const moved = await mesh('tag', 'set', 'prod', '-r', 'two', '--overwrite', '-y');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toContain(
      "- MutatingWebhookConfiguration/my-prod (the tag's earlier object: deleted)",
    );
    expect(moved.stderr).toContain(
      "- Service/istio-system/istiod-revision-tag-prod (the tag's earlier object: deleted)",
    );
    const tagHooks = [...c.objects.values()].filter((o) => o.metadata.labels?.['istio.io/tag'] === 'prod');
    expect(tagHooks.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort()).toEqual([
      'MutatingWebhookConfiguration//istio-revision-tag-prod-istio-two',
      'Service/istio-two/istiod-revision-tag-prod',
    ]);
    const list = await mesh('tag', 'list');
    expect(list.stdout).toMatch(/^prod +two +shop$/m);
    expect(list.stdout).not.toMatch(/prod +canary/);
  });

  it('default: switches off every default-revision injector, and warns about namespaces injected for the first time', async () => {
    c = await setup();
    c.put(...injector('default', 'istio-two'));
    const r = await mesh('tag', 'set', 'default', '-r', 'canary', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(isDeactivated(c.get(MWC, 'istio-sidecar-injector'))).toBe(true);
    expect(isDeactivated(c.get(MWC, 'istio-sidecar-injector-istio-two'))).toBe(true);
    expect(r.stderr).toContain(
      'Warning: new pods of 2 namespace(s) (legacy, pinned) will be injected by revision canary instead of the default revision',
    );

    await c.close();
    c = await startFakeCluster([injector('canary'), namespace('legacy', { 'istio-injection': 'enabled' })]);
    const fresh = await mesh('tag', 'set', 'default', '-r', 'canary', '-y');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain(
      'Warning: new pods of 1 namespace(s) (legacy) will be injected by revision canary: no injector served them until now',
    );
  });

  it("leaves install's own default validator, and tag remove leaves it too", async () => {
    c = await setup();
    c.put(...installValidator());
    const before = structuredClone(c.get(VWC, 'istiod-default-validator'));
    const r = await mesh('tag', 'set', 'default', '-r', 'canary', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Note: ValidatingWebhookConfiguration/istiod-default-validator is left as it is: it belongs to revision default (mesh install), not to a tag; config without istio.io/rev stays validated by Service istio-system/istiod',
    );
    expect(c.get(VWC, 'istiod-default-validator')).toEqual(before);
    expect((await mesh('tag', 'remove', 'default', '-y')).code).toBe(0);
    expect(c.get(VWC, 'istiod-default-validator')).toEqual(before);
  });
});

describe('tag remove', () => {
  it('default: switches the injector on first, so a refused patch changes nothing', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    const keys = [...c.objects.keys()].sort();
    c.forbid.add(`PATCH ${MWC}`);
    const r = await mesh('tag', 'remove', 'default', '-y');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "Error: MutatingWebhookConfiguration/istio-sidecar-injector: cannot switch the default revision's injector on again",
    );
    expect(r.stderr).toContain('Hint: nothing was changed');
    expect([...c.objects.keys()].sort()).toEqual(keys);
    // switched on, then a delete refused: what was done is named
    c.forbid.clear();
    c.forbid.add('DELETE services');
    const r2 = await mesh('tag', 'remove', 'default', '-y');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(
      "Hint: already done: MutatingWebhookConfiguration/istio-sidecar-injector (default revision's injector switched on again); MutatingWebhookConfiguration/istio-revision-tag-default; ValidatingWebhookConfiguration/istiod-default-validator",
    );
  });

  it('default: names istio-injection=enabled namespaces, and says they go back to the default revision', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    const r = await mesh('tag', 'remove', 'default', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Warning: 2 namespace(s) use tag "default" (istio.io/rev=default: pinned; istio-injection=enabled: legacy). Once it is removed their new pods go to the default revision\'s injector (MutatingWebhookConfiguration/istio-sidecar-injector, switched on again).',
    );
    expect(r.stderr).not.toContain('get no sidecar');
  });

  it("default: istioctl's deactivation (no kept selectors) is said to stay", async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    delete c.get(MWC, 'istio-sidecar-injector').metadata.annotations;
    const r = await mesh('tag', 'remove', 'default', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'Once it is removed their new pods get no sidecar: MutatingWebhookConfiguration/istio-sidecar-injector stays switched off: switched off by another tool (istioctl)',
    );
    expect(isDeactivated(c.get(MWC, 'istio-sidecar-injector'))).toBe(true);
  });

  it('accepts a tag longer than set allows and finds its Services in every namespace', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 't2', '-r', 'two')).code).toBe(0);
    const r = await mesh('tag', 'remove', 't2', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('- Service/istio-two/istiod-revision-tag-t2');
    expect(svcKeys()).toEqual([]);
    const long = 'x'.repeat(50);
    c.put(MWC, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name: `istio-revision-tag-${long}`,
        labels: { 'istio.io/rev': 'canary', 'istio.io/tag': long },
      },
      webhooks: [],
    });
    expect((await mesh('tag', 'set', long, '-r', 'canary')).code).toBe(64);
    const rm = await mesh('tag', 'remove', long, '-y');
    expect(rm.code, rm.stderr).toBe(0);
    expect(mwcNames()).not.toContain(`istio-revision-tag-${long}`);
  });
});
