import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const routes = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/conditions/routes.yaml'),
  'utf8',
);
const run = (text: string) => analyzeText(text, ['conditions.ConditionAnalyzer']);

describe('conditions.ConditionAnalyzer', () => {
  it('reports a False ResolvedRefs condition of a route parent at its status line', async () => {
    expect(await run(routes)).toEqual([
      {
        code: 'IST0171',
        origin: 'HTTPRoute shop/reviews',
        line: 23,
        path: 'status.parents[0].conditions[1].status',
        message:
          'A condition with a negative status is present: type=ResolvedRefs, reason=BackendNotFound, message=backend(reviews.shop.svc.cluster.local) not found.',
      },
    ]);
  });

  it('ignores positive conditions and condition types it does not know (argocd Synced=False)', async () => {
    const fixed = routes.replace(
      'status: "False"\n      reason: BackendNotFound',
      'status: "True"\n      reason: ResolvedRefs',
    );
    expect(await run(fixed)).toEqual([]);
  });

  it('reports a waypoint that accepted a policy only partly, even with status True', async () => {
    const policy = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews, namespace: shop}
spec:
  targetRefs: [{kind: Service, group: "", name: reviews}]
status:
  conditions:
  - type: WaypointAccepted
    status: "True"
    reason: PartiallyInvalid
    message: "Invalid targetRefs: shop/reviews"
`;
    expect((await run(policy)).map((f) => [f.code, f.origin])).toEqual([
      ['IST0171', 'AuthorizationPolicy shop/reviews'],
    ]);
  });
});
