import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';
import { namespaceMatches } from '../../../src/analyzers/auth/authorization-policies.js';

const shop = readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/auth/shop.yaml'), 'utf8');
const run = (text: string) => analyzeText(text, ['auth.AuthorizationPoliciesAnalyzer']);

describe('auth.AuthorizationPoliciesAnalyzer', () => {
  it('reports a selector no workload matches and a source namespace that does not exist', async () => {
    const findings = await run(shop);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path, f.message])).toEqual([
      [
        'IST0101',
        'AuthorizationPolicy shop/reviews-viewer',
        41,
        'spec.rules[0].from[0].source.namespaces[1]',
        'Referenced namespace not found: "frontend"',
      ],
      [
        'IST0127',
        'AuthorizationPolicy shop/ratings-viewer',
        54,
        'spec.selector.matchLabels.app',
        'No matching workloads for this resource with the following labels: app=ratings',
      ],
    ]);
  });

  it('stays quiet once the selected workload is in the inputs, without Namespace objects to check against', async () => {
    // Without the Namespace document the namespace labels are unknown: workloads that do not opt out count
    // as in the mesh, and source namespaces cannot be checked.
    const withoutNamespace = shop.slice(shop.indexOf('---\n') + 4);
    const ratings = `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ratings
  namespace: shop
spec:
  selector:
    matchLabels: {app: ratings}
  template:
    metadata:
      labels: {app: ratings}
    spec:
      containers:
      - name: ratings
        image: docker.io/istio/examples-bookinfo-ratings-v1:1.20.2
`;
    expect(await run(withoutNamespace + ratings)).toEqual([]);
  });

  it('does not count workloads that opted out of injection', async () => {
    const optOut = shop.replace(
      '        version: v1\n',
      '        version: v1\n        sidecar.istio.io/inject: "false"\n',
    );
    const findings = await run(optOut);
    expect(findings.filter((f) => f.code === 'IST0127').map((f) => f.origin)).toEqual([
      'AuthorizationPolicy shop/ratings-viewer',
      'AuthorizationPolicy shop/reviews-viewer',
    ]);
  });

  it('matches namespace patterns like istiod does', () => {
    expect(namespaceMatches('*', 'shop')).toBe(true);
    expect(namespaceMatches('prod-*', 'prod-eu')).toBe(true);
    expect(namespaceMatches('*-test', 'shop-test')).toBe(true);
    expect(namespaceMatches('Shop', 'shop')).toBe(true);
    expect(namespaceMatches('shop', 'shop-test')).toBe(false);
  });
});
