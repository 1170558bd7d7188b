import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/k8sgateway', name), 'utf8');

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('k8sgateway.SelectorAnalyzer', () => {
  const text = fixture('selector.yaml');

  it('reports selector policies that pick the pods of an Istio Kubernetes Gateway, from the Gateway alone', async () => {
    const ineffective = 'Ineffective selector on Kubernetes Gateway web. Use the TargetRef field instead.';
    expect(brief(await analyzeText(text, ['k8sgateway.SelectorAnalyzer']))).toEqual([
      [
        'IST0166',
        'AuthorizationPolicy shop/web-allow',
        lineOf(text, 'gateway.networking.k8s.io/gateway-name: web'),
        ineffective,
      ],
      ['IST0166', 'RequestAuthentication shop/edge-jwt', lineOf(text, 'tier: edge', 'edge-jwt'), ineffective],
    ]);
  });
});

describe('k8sgateway.CRDVersionAnalyzer', () => {
  const text = fixture('crds.yaml');

  it('reports Gateway API CRDs older than Istio needs, at the bundle-version annotation', async () => {
    expect(brief(await analyzeText(text, ['k8sgateway.CRDVersionAnalyzer']))).toEqual([
      [
        'IST0176',
        'CustomResourceDefinition grpcroutes.gateway.networking.k8s.io',
        lineOf(text, 'bundle-version: v1.0.9+build.7'),
        'Gateway API CRD "grpcroutes.gateway.networking.k8s.io" is at version "1.0.9+build.7" but Istio requires at least "1.1.0"; resources of this kind will not be processed. Upgrade the Gateway API CRDs to satisfy the minimum version.',
      ],
      [
        'IST0176',
        'CustomResourceDefinition tlsroutes.gateway.networking.k8s.io',
        lineOf(text, 'bundle-version: v1.4.1'),
        'Gateway API CRD "tlsroutes.gateway.networking.k8s.io" is at version "1.4.1" but Istio requires at least "1.5.0"; resources of this kind will not be processed. Upgrade the Gateway API CRDs to satisfy the minimum version.',
      ],
    ]);
  });
});
