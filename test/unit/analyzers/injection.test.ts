import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/injection', name), 'utf8');

describe('injection.Analyzer', () => {
  const run = (text: string) => analyzeText(text, ['injection.Analyzer']);

  it('reports competing injection labels, an unlabelled namespace and a pod missing its proxy', async () => {
    const findings = await run(fixture('namespaces.yaml'));
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      ['IST0103', 'Pod shop/reviews-v1-5f7b8c6d9-x2k4j', 36, 'spec.containers'],
      ['IST0123', 'Namespace payments', 12, 'metadata.labels'],
      ['IST0102', 'Namespace monitoring', 19, 'metadata.name'],
    ]);
    expect(findings[1].message).toContain('[istio-injection=enabled istio.io/rev=canary]');
    expect(findings[2].message).toContain('kubectl label namespace monitoring istio-injection=enabled');
  });

  it('says the namespace is injected when the injector enables namespaces by default', async () => {
    const cm = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector, namespace: istio-system}
data:
  values: '{"sidecarInjectorWebhook":{"enableNamespacesByDefault":true}}'
`;
    const findings = await run(fixture('namespaces.yaml') + cm);
    expect(findings.find((f) => f.origin === 'Namespace monitoring')!.code).toBe('IST0148');
  });

  it('needs Namespace objects: manifests with workloads only say nothing', async () => {
    const podsOnly = fixture('namespaces.yaml')
      .split('---\n')
      .filter((d) => !d.includes('kind: Namespace'))
      .join('---\n');
    expect(await run(podsOnly)).toEqual([]);
  });
});

describe('injection.ImageAutoAnalyzer', () => {
  const run = (text: string) => analyzeText(text, ['injection.ImageAutoAnalyzer']);

  it('reports a gateway Deployment no injector webhook selects, and a Pod that was never injected', async () => {
    const findings = await run(fixture('image-auto.yaml'));
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path, f.message])).toEqual([
      [
        'IST0147',
        'Pod edge/edge-gateway-6d9f7c5b8-q7w2e',
        92,
        'spec.containers[0].image',
        'Pod edge-gateway-6d9f7c5b8-q7w2e contains `image: auto` but does not match any Istio injection webhook selectors.',
      ],
      [
        'IST0146',
        'Deployment edge/edge-gateway',
        60,
        'spec.template.spec.containers[0].image',
        'Deployment edge-gateway contains `image: auto` but does not match any Istio injection webhook selectors.',
      ],
    ]);
  });

  it('is quiet when the namespace is injected, or offline when the webhooks are not in the inputs', async () => {
    const injected = fixture('image-auto.yaml')
      .replace('  name: edge\n---', '  name: edge\n  labels:\n    istio-injection: enabled\n---')
      .split('---\n')
      .filter((d) => !d.includes('kind: Pod'))
      .join('---\n');
    expect(await run(injected)).toEqual([]);
    const noWebhooks = fixture('image-auto.yaml')
      .split('---\n')
      .filter((d) => !d.includes('MutatingWebhookConfiguration') && !d.includes('kind: Pod'))
      .join('---\n');
    expect(await run(noWebhooks)).toEqual([]);
  });
});

describe('injection.ImageAnalyzer', () => {
  const run = (text: string, meshConfig?: Record<string, any>) =>
    analyzeText(text, ['injection.ImageAnalyzer'], { meshConfig });

  it('lists the pods of an injected namespace that run another proxy image than the injector', async () => {
    expect(await run(fixture('proxy-image.yaml'))).toEqual([
      expect.objectContaining({
        code: 'IST0158',
        origin: 'Namespace shop',
        line: 4,
        message: expect.stringContaining(
          '(pod names: [productpage-v1-7d6cfb7dfd-9kx8s reviews-v1-5f7b8c6d9-x2k4j])',
        ),
      }),
    ]);
  });

  it('accepts the image variant the mesh config asks for', async () => {
    const [f] = await run(fixture('proxy-image.yaml'), {
      defaultConfig: { image: { imageType: 'distroless' } },
    });
    expect(f.message).toContain('(pod names: [reviews-v1-5f7b8c6d9-x2k4j])');
  });

  it('is quiet when every proxy is current', async () => {
    const current = fixture('proxy-image.yaml')
      .replace('proxyv2:1.23.2', 'proxyv2:1.24.0')
      .replace('1.24.0-distroless', '1.24.0');
    expect(await run(current)).toEqual([]);
  });
});
