import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const filters = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/envoyfilter/filters.yaml'),
  'utf8',
);
const run = (text: string) => analyzeText(text, ['envoyfilter.EnvoyPatchAnalyzer']);

describe('envoyfilter.EnvoyPatchAnalyzer', () => {
  it('reports an ignored ADD and an unordered relative patch at each operation line', async () => {
    const findings = await run(filters);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      ['IST0153', 'EnvoyFilter shop/lua-auth', 32, 'spec.configPatches[1].patch.operation'],
      ['IST0151', 'EnvoyFilter shop/lua-auth', 21, 'spec.configPatches[0].patch.operation'],
    ]);
  });

  it('is quiet for the same relative patch when the EnvoyFilter has a priority', async () => {
    const ordered = filters.slice(filters.indexOf('---'));
    expect(await run(ordered)).toEqual([]);
  });

  it('tells apart a relative patch that follows a proxy-version-specific patch of the same filter', async () => {
    const versioned = filters.replace(
      '      context: SIDECAR_INBOUND\n      listener:',
      "      context: SIDECAR_INBOUND\n      proxy:\n        proxyVersion: '^1\\.23.*'\n      listener:",
    );
    const findings = await run(versioned.replace('  priority: 10\n', ''));
    expect(findings.map((f) => [f.code, f.origin])).toEqual([
      ['IST0153', 'EnvoyFilter shop/lua-auth'],
      ['IST0151', 'EnvoyFilter shop/lua-auth'],
      ['IST0155', 'EnvoyFilter shop/lua-auth-ordered'],
    ]);
  });

  it('rejects REPLACE outside filters and virtual hosts, and REMOVE on routes', async () => {
    const ef = (applyTo: string, operation: string) => `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ${applyTo.toLowerCase()}-${operation.toLowerCase()}, namespace: shop}
spec:
  priority: 1
  configPatches:
  - applyTo: ${applyTo}
    patch:
      operation: ${operation}
      value: {name: x}
---
`;
    const findings = await run(
      ef('CLUSTER', 'REPLACE') + ef('ROUTE_CONFIGURATION', 'REMOVE') + ef('VIRTUAL_HOST', 'REPLACE'),
    );
    expect(findings.map((f) => [f.code, f.origin])).toEqual([
      ['IST0152', 'EnvoyFilter shop/cluster-replace'],
      ['IST0154', 'EnvoyFilter shop/route_configuration-remove'],
    ]);
  });
});
