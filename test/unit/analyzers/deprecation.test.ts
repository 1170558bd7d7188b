import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const faults = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/deprecation/faults.yaml'),
  'utf8',
);
const run = (text: string) => analyzeText(text, ['deprecation.DeprecationAnalyzer']);

describe('deprecation.DeprecationAnalyzer', () => {
  it('reports fault.delay.percent at its line and leaves percentage alone', async () => {
    expect(await run(faults)).toEqual([
      {
        code: 'IST0002',
        origin: 'VirtualService shop/ratings',
        line: 16,
        path: 'spec.http[0].fault.delay.percent',
        message:
          'Deprecated: fault.delay.percent (whole numbers only) is superseded by fault.delay.percentage, which takes fractions',
      },
    ]);
  });

  it('reports the ignored Sidecar egressProxy and removed rbac.istio.io CRDs', async () => {
    const text =
      faults.replace(
        'mode: REGISTRY_ONLY',
        'mode: REGISTRY_ONLY\n    egressProxy:\n      host: egress.example.com',
      ) +
      `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: serviceroles.rbac.istio.io
spec:
  group: rbac.istio.io
  names:
    kind: ServiceRole
    plural: serviceroles
  scope: Namespaced
`;
    const findings = await run(text);
    expect(findings.map((f) => [f.origin, f.path, f.message])).toEqual([
      [
        'CustomResourceDefinition serviceroles.rbac.istio.io',
        'spec.names.kind',
        'Deprecated: the rbac.istio.io kind ServiceRole was removed in Istio 1.6; use AuthorizationPolicy',
      ],
      [
        'Sidecar shop/default',
        'spec.outboundTrafficPolicy.egressProxy',
        'Deprecated: outboundTrafficPolicy.egressProxy has no effect; Istio ignores it',
      ],
      expect.arrayContaining(['VirtualService shop/ratings']),
    ]);
  });
});
