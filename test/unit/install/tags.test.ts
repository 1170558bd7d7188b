import { describe, expect, it } from 'vitest';
import {
  controlPlaneNamespace,
  deactivation,
  formatTagData,
  formatTagTable,
  injectorEndpoint,
  invalidTag,
  isDeactivated,
  reactivation,
  tagObjects,
  tagRows,
  tagWebhook,
  tagWebhookName,
} from '../../../src/install/tags.js';

const injector = {
  metadata: {
    name: 'istio-sidecar-injector-canary',
    labels: { 'istio.io/rev': 'canary', 'install.operator.istio.io/owning-resource': 'mesh' },
  },
  webhooks: [
    {
      name: 'rev.namespace.sidecar-injector.istio.io',
      clientConfig: {
        service: { name: 'istiod-canary', namespace: 'istio-system', path: '/inject', port: 443 },
        caBundle: 'Q0E=',
      },
      namespaceSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: ['canary'] }] },
    },
  ],
};
const endpoint = injectorEndpoint(injector)!;
const input = { tag: 'prod', revision: 'canary', istioNamespace: 'istio-system', endpoint };

describe('revision tag objects', () => {
  it("call the revision's injector as its own webhook does, selecting the tag", () => {
    const w = tagWebhook(input) as any;
    expect(w.metadata.name).toBe('istio-revision-tag-prod');
    expect(w.webhooks.map((h: any) => h.name)).toEqual([
      'rev.namespace.sidecar-injector.istio.io',
      'rev.object.sidecar-injector.istio.io',
    ]);
    expect(w.webhooks[0].clientConfig).toEqual(injector.webhooks[0]!.clientConfig);
    expect(w.webhooks[0].namespaceSelector.matchExpressions[0]).toEqual({
      key: 'istio.io/rev',
      operator: 'In',
      values: ['prod'],
    });
    expect(w.metadata.labels).toMatchObject({
      'istio.io/tag': 'prod',
      'istio.io/rev': 'canary',
      'app.kubernetes.io/managed-by': 'mesh',
      'operator.istio.io/component': 'Pilot',
      'install.operator.istio.io/owning-resource-not-pruned': 'true',
    });
  });

  it('default adds the istio-injection webhooks and the default validator', () => {
    const objs = tagObjects({ ...input, tag: 'default' }) as any[];
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'MutatingWebhookConfiguration/istio-revision-tag-default',
      'ValidatingWebhookConfiguration/istiod-default-validator',
      'Service/istiod-revision-tag-default',
    ]);
    expect(objs[0].webhooks).toHaveLength(4);
    expect(objs[1].webhooks[0].clientConfig).toEqual({
      service: { name: 'istiod-canary', namespace: 'istio-system', path: '/validate' },
      caBundle: 'Q0E=',
    });
    expect(objs[1].webhooks[0].failurePolicy).toBe('Ignore');
    expect(
      (tagObjects({ ...input, tag: 'default', validatorFailurePolicy: 'Fail' })[1] as any).webhooks[0]
        .failurePolicy,
    ).toBe('Fail');
  });

  it('deactivation switches every webhook off and reactivation restores the selectors', () => {
    const off = deactivation(injector) as any;
    const live = {
      ...injector,
      metadata: { ...injector.metadata, annotations: off.metadata.annotations },
      webhooks: off.webhooks,
    };
    expect(isDeactivated(live)).toBe(true);
    expect((reactivation(live) as any).webhooks[0].namespaceSelector).toEqual(
      injector.webhooks[0]!.namespaceSelector,
    );
    expect(reactivation(injector)).toBeUndefined();
  });

  it("is named as istioctl's chart names it: -<namespace> appended for a control plane outside istio-system", () => {
    expect(tagWebhookName('prod')).toBe('istio-revision-tag-prod');
    expect(tagWebhookName('t2', 'istio-two')).toBe('istio-revision-tag-t2-istio-two');
    expect((tagWebhook({ ...input, istioNamespace: 'istio-two' }) as any).metadata.name).toBe(
      'istio-revision-tag-prod-istio-two',
    );
    expect((tagWebhook({ ...input, webhookName: 'mine' }) as any).metadata.name).toBe('mine');
  });

  it("takes the control plane namespace from the injector's Service, else its owning namespace label", () => {
    expect(controlPlaneNamespace(injector)).toBe('istio-system');
    const remote = {
      metadata: { labels: { 'install.operator.istio.io/owning-resource-namespace': 'istio-two' } },
      webhooks: [
        { name: 'rev.namespace.sidecar-injector.istio.io', clientConfig: { url: 'https://x/inject' } },
      ],
    };
    expect(controlPlaneNamespace(remote)).toBe('istio-two');
    expect(controlPlaneNamespace({ webhooks: [] })).toBeUndefined();
  });

  it('refuses tags that are no DNS-1123 label or too long for the Service name', () => {
    expect(invalidTag('prod-1')).toBeUndefined();
    expect(invalidTag('Prod')).toBeDefined();
    expect(invalidTag('a'.repeat(44))).toContain('at most 43');
  });
});

describe('tag list', () => {
  const meta = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
  const rows = tagRows(
    [
      meta('istio-sidecar-injector', { 'istio.io/rev': 'default' }),
      meta('istio-sidecar-injector-canary', { 'istio.io/rev': 'canary' }),
      meta('istio-revision-tag-prod', { 'istio.io/rev': 'canary', 'istio.io/tag': 'prod' }),
    ],
    [meta('istiod-revision-tag-prod', { 'istio.io/rev': 'canary', 'istio.io/tag': 'prod' })],
    [meta('b', { 'istio.io/rev': 'prod' }), meta('a', { 'istio.io/rev': 'prod' }), meta('c', {})],
  );

  it("as istioctl: untagged revisions as rows with an empty tag, unless tagged; tabwriter's padding", () => {
    expect(formatTagTable(rows)).toBe('TAG  REVISION NAMESPACES\nprod canary   b,a\n     default  \n');
    expect(formatTagTable([])).toBe('No Istio revision tags found.\n');
  });

  it('json (tabs) and yaml (sorted keys, lists not indented, a blank line after)', () => {
    expect(formatTagData(rows, 'json')).toBe(
      '[\n\t{\n\t\t"tag": "prod",\n\t\t"revision": "canary",\n\t\t"namespaces": [\n\t\t\t"b",\n\t\t\t"a"\n\t\t]\n\t},\n\t{\n\t\t"tag": "",\n\t\t"revision": "default",\n\t\t"namespaces": []\n\t}\n]\n',
    );
    expect(formatTagData(rows, 'yaml')).toBe(
      '- namespaces:\n  - b\n  - a\n  revision: canary\n  tag: prod\n- namespaces: []\n  revision: default\n  tag: ""\n\n',
    );
  });
});
