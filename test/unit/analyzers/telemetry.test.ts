import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const shop = readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/telemetry/shop.yaml'), 'utf8');
const lightstepMesh = {
  extensionProviders: [
    { name: 'lightstep', lightstep: { service: 'lightstep.observability.svc.cluster.local', port: 8080 } },
  ],
};

describe('telemetry.SelectorAnalyzer', () => {
  const run = (text: string) => analyzeText(text, ['telemetry.SelectorAnalyzer']);

  it('reports Telemetries selecting the same workload and a selector that matches none', async () => {
    const findings = await run(shop);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      ['IST0101', 'Telemetry shop/checkout-metrics', 55, 'spec.selector.matchLabels.app'],
      ['IST0159', 'Telemetry shop/frontend-tracing', 23, 'metadata.name'],
      ['IST0159', 'Telemetry shop/web-tier-logs', 37, 'metadata.name'],
    ]);
    expect(findings[0].message).toBe('Referenced selector not found: "app=checkout"');
  });

  it('is quiet when the one Telemetry of a workload matches it', async () => {
    const single = shop
      .split('---\n')
      .filter((d) => !d.includes('name: web-tier-logs') && !d.includes('name: checkout-metrics'))
      .join('---\n');
    expect(await run(single)).toEqual([]);
  });
});

describe('telemetry.DefaultSelectorAnalyzer', () => {
  const run = (text: string) => analyzeText(text, ['telemetry.DefaultSelectorAnalyzer']);
  const wide = (name: string, ns: string) =>
    `---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  metrics:\n  - providers:\n    - name: prometheus\n`;

  it('reports two namespace-wide Telemetries in one namespace', async () => {
    const findings = await run(wide('metrics', 'shop') + wide('more-metrics', 'shop'));
    expect(findings.map((f) => [f.code, f.origin, f.line])).toEqual([
      ['IST0160', 'Telemetry shop/metrics', 5],
      ['IST0160', 'Telemetry shop/more-metrics', 15],
    ]);
  });

  it('is quiet for one namespace-wide Telemetry per namespace next to selector-scoped ones', async () => {
    expect(await run(shop + wide('metrics', 'shop'))).toEqual([]);
  });
});

describe('telemetry.ProviderAnalyzer', () => {
  const run = (text: string, meshConfig?: Record<string, any>) =>
    analyzeText(text, ['telemetry.ProviderAnalyzer'], { meshConfig });

  it('reports an access-logging entry without provider when the mesh has no default one', async () => {
    expect((await run(shop)).map((f) => [f.code, f.origin, f.line, f.path, f.message])).toEqual([
      [
        'IST0157',
        'Telemetry istio-system/mesh-default',
        67,
        'spec.accessLogging[0]',
        'The Telemetry mesh-default in namespace "istio-system" with empty providers will be ignored.',
      ],
    ]);
  });

  it('is quiet when the mesh names a default access-logging provider', async () => {
    expect(await run(shop, { defaultProviders: { accessLogging: ['envoy'] } })).toEqual([]);
  });
});

describe('telemetry.LightstepAnalyzer', () => {
  const run = (text: string, meshConfig?: Record<string, any>) =>
    analyzeText(text, ['telemetry.LightstepAnalyzer'], { meshConfig });

  it('reports tracing to a Lightstep extension provider', async () => {
    const findings = await run(shop, lightstepMesh);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      ['IST0002', 'Telemetry istio-system/mesh-default', 71, 'spec.tracing[0].providers[0].name'],
    ]);
    expect(findings[0]!.message).toContain('tracing provider "lightstep" is a Lightstep provider');
    expect(findings[0]!.message).toContain('OpenTelemetry');
  });

  it('is quiet when the provider of that name is not Lightstep', async () => {
    const otel = {
      extensionProviders: [{ name: 'lightstep', opentelemetry: { service: 'otel', port: 4317 } }],
    };
    expect(await run(shop, otel)).toEqual([]);
  });
});
