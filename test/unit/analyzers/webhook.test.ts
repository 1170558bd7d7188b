import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const revisions = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/webhook/revisions.yaml'),
  'utf8',
);
const run = (text: string) => analyzeText(text, ['webhook.Analyzer']);
const docs = (text: string, keep: (doc: string) => boolean) => text.split('---\n').filter(keep).join('---\n');

const leftover = `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-sidecar-injector-1-22
webhooks:
- name: namespace.sidecar-injector.istio.io
  clientConfig:
    service: {name: istiod, namespace: istio-system, path: /inject}
  namespaceSelector:
    matchLabels:
      istio-injection: enabled
`;

describe('webhook.Analyzer', () => {
  it('is quiet for a default and a canary revision side by side', async () => {
    expect(await run(revisions)).toEqual([]);
  });

  it('reports an old injector that injects the same namespaces again', async () => {
    const findings = await run(revisions + leftover);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path, f.message])).toEqual([
      [
        'IST0139',
        'MutatingWebhookConfiguration istio-sidecar-injector-1-22',
        112,
        'webhooks[0].name',
        'Webhook overlaps with others: [istio-sidecar-injector/namespace.sidecar-injector.istio.io]. This may cause injection to occur twice.',
      ],
      [
        'IST0139',
        'MutatingWebhookConfiguration istio-sidecar-injector',
        29,
        'webhooks[2].name',
        'Webhook overlaps with others: [istio-sidecar-injector-1-22/namespace.sidecar-injector.istio.io]. This may cause injection to occur twice.',
      ],
    ]);
  });

  it('reports webhooks pointing at a control-plane Service missing from the inputs', async () => {
    const findings = await run(docs(revisions, (d) => !d.includes('name: istiod-canary\n')));
    expect(findings.map((f) => [f.origin, f.line, f.path])).toEqual([
      [
        'MutatingWebhookConfiguration istio-sidecar-injector-canary',
        59,
        'webhooks[0].clientConfig.service.name',
      ],
      [
        'MutatingWebhookConfiguration istio-sidecar-injector-canary',
        69,
        'webhooks[1].clientConfig.service.name',
      ],
    ]);
    expect(findings[0].message).toBe(
      'Injector refers to a control plane service that does not exist: istio-system/istiod-canary.',
    );
  });

  it('does not check Services offline when the inputs carry none', async () => {
    expect(await run(docs(revisions, (d) => !d.includes('kind: Service\n')))).toEqual([]);
  });
});
