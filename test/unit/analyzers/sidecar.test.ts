import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const shop = readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/sidecar/shop.yaml'), 'utf8');
const run = (text: string) => analyzeText(text, ['sidecar.SelectorAnalyzer']);

const sidecar = (name: string, ns: string) =>
  `---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  egress:\n  - hosts: ["./*"]\n`;

describe('sidecar.SelectorAnalyzer', () => {
  it('reports Sidecars selecting the same Deployment and a selector that matches no workload', async () => {
    const findings = await run(shop);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      ['IST0101', 'Sidecar shop/ratings-egress', 53, 'spec.workloadSelector.labels.app'],
      ['IST0110', 'Sidecar shop/reviews-egress', 24, 'metadata.name'],
      ['IST0110', 'Sidecar shop/reviews-v2-egress', 36, 'metadata.name'],
    ]);
    expect(findings[1].message).toBe(
      'The Sidecars [reviews-egress reviews-v2-egress] in namespace "shop" select the same workload pod "reviews-v2", which can lead to undefined behavior.',
    );
  });

  it('is quiet for selectors of a namespace whose workloads are not in the inputs', async () => {
    const findings = await run(shop);
    expect(findings.some((f) => f.origin?.includes('payments'))).toBe(false);
  });

  it('reports two namespace-wide Sidecars, and only one when both are fine', async () => {
    const two = await run(sidecar('default', 'shop') + sidecar('legacy', 'shop'));
    expect(two.map((f) => [f.code, f.origin])).toEqual([
      ['IST0111', 'Sidecar shop/default'],
      ['IST0111', 'Sidecar shop/legacy'],
    ]);
    expect(await run(sidecar('default', 'shop') + sidecar('default', 'payments'))).toEqual([]);
  });

  it('says a Sidecar has no effect in an ambient namespace', async () => {
    const ambient = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio.io/dataplane-mode: ambient\n`;
    const findings = await run(ambient + sidecar('default', 'shop'));
    expect(findings.map((f) => [f.code, f.message])).toEqual([
      ['IST0167', 'The policy has no impact: namespace is in ambient mode, the policy has no impact.'],
    ]);
  });
});
