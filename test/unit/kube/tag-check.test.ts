/**
 * `mesh precheck` and `mesh check` with revision tags: the `default` tag and the
 * default revision's injector it switched off do not overlap; precheck of the default revision says the
 * tag exists (‼) instead of advising to remove "an injector of the same pods" (×); check resolves a
 * namespace's tag to the tag's revision, and a switched-off default injector with no tag is named.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { injector, istiod, namespace, startFakeCluster, type FakeCluster } from './tag-fake-cluster.js';

let c: FakeCluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});
const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', c!.kubeconfig]);

const pod = (ns: string, name: string, rev: string): [string, any] => [
  'pods',
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      annotations: { 'sidecar.istio.io/status': JSON.stringify({ revision: rev }) },
    },
    spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
    status: { phase: 'Running' },
  },
];

const setup = () =>
  startFakeCluster([
    injector('default'),
    injector('canary'),
    istiod('default'),
    istiod('canary'),
    namespace('legacy', { 'istio-injection': 'enabled' }),
    namespace('shop', { 'istio.io/rev': 'prod' }),
    pod('shop', 'web-1', 'canary'),
    pod('legacy', 'old-1', 'canary'),
  ]);

describe('precheck and check with revision tags', () => {
  it('precheck of the default revision: the default tag is a ‼ naming what install does, not a ×', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    const r = await mesh('precheck');
    const lines = r.stdout.split('\n');
    const i = lines.indexOf('Injection webhooks');
    expect(lines.slice(i, i + 4)).toEqual([
      'Injection webhooks',
      '------------------',
      '‼ revision tag "default" exists (MutatingWebhookConfiguration/istio-revision-tag-default → revision canary) and switched the default revision\'s injector MutatingWebhookConfiguration/istio-sidecar-injector off: install of the default revision conflicts on its selectors (field manager mesh-tag); --force switches it on next to the tag',
      '    hint: both would inject the same pods (istio-injection=enabled and istio.io/rev=default namespaces): remove the tag first (mesh tag remove default), or after installing point it at the default revision (mesh tag set default -r default --overwrite)',
    ]);
    expect(r.stdout).not.toContain('already injects the same pods');
    // another revision's precheck: no overlap with a switched-off injector either
    const canary = await mesh('precheck', '-r', 'other');
    expect(canary.stdout).toContain('✓ no other injector selects the same pods');
  });

  it("check: a tag's namespace is checked against the tag's revision; no overlap of a tag and a switched-off injector", async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'prod', '-r', 'canary')).code).toBe(0);
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    const r = await mesh('check', '--skip-proxies');
    expect(r.stdout).toContain('✓ namespace shop: every pod has a proxy of revision canary (tag prod)');
    expect(r.stdout).toContain('✓ namespace legacy: every pod has a proxy of revision canary (tag default)');
    expect(r.stdout).not.toContain('another revision than');
    expect(r.stdout).not.toContain('inject the same pods');
    const only = await mesh('check', '--skip-proxies', '-r', 'canary');
    expect(only.stdout).toContain('✓ namespace shop: every pod has a proxy of revision canary (tag prod)');
  });

  it('check: the default tag gone and its injector left switched off is a × naming the way back; a tag gone is a ×', async () => {
    c = await setup();
    expect((await mesh('tag', 'set', 'default', '-r', 'canary', '-y')).code).toBe(0);
    c.remove('mutatingwebhookconfigurations', 'istio-revision-tag-default');
    const r = await mesh('check', '--skip-proxies');
    expect(r.stdout).toContain(
      '× namespace legacy (istio-injection=enabled): no injector selects it; new pods get no proxy\n' +
        "    hint: the default revision's injector MutatingWebhookConfiguration/istio-sidecar-injector is switched off, as a default revision tag leaves it, and no default tag takes its place: mesh tag remove default switches it on again",
    );
    expect(r.stdout).toContain(
      '× namespace shop (istio.io/rev=prod): no injector selects it; new pods get no proxy',
    );
    expect(r.code).toBe(79);
  });
});
