import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileValidator, SCHEMA_DIR, schemaKinds } from '../../../src/analyzers/schema/compile.js';
import { schemaIssues, withoutNulls } from '../../../src/analyzers/schema/validate.js';
import { ISTIO_KINDS, istioKindProblem } from '../../../src/manifests/kinds.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

const CORPUS = join(import.meta.dirname, '../../../../shared/conformance/istio-analyze/testdata');

function corpusFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? corpusFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('schemas/', () => {
  it('covers exactly the Istio kinds and versions mesh serves (src/manifests/kinds.ts)', () => {
    const fromIndex: Record<string, Record<string, string[]>> = {};
    for (const k of schemaKinds()) (fromIndex[k.group] ??= {})[k.kind] = k.versions;
    expect(fromIndex).toEqual(ISTIO_KINDS);
  });

  it('has no schema file that the index does not use', () => {
    const used = new Set(['index.json', 'common.json', ...schemaKinds().map((k) => k.schema)]);
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'));
    expect(files.filter((f) => !used.has(f))).toEqual([]);
  });

  it('compiles every kind in ajv strict mode', () => {
    for (const k of schemaKinds()) expect(typeof compileValidator(k)).toBe('function');
  });

  it('accepts the Istio objects of the upstream analyzer corpus, except the ones that are really invalid', () => {
    // Objects in istioctl's own test data that the Istio CRDs reject (the reason each one is wrong).
    const invalid: Record<string, string> = {
      'deprecation.yaml EnvoyFilter istio-multicluster-egressgateway':
        'uses workloadLabels and filters, fields removed from the EnvoyFilter API',
      'envoy-filter-add-operation.yaml EnvoyFilter test-auth-4': 'match has an unknown field "app"',
      'envoy-filter-add-operation.yaml EnvoyFilter test-auth-5': 'match has an unknown field "app"',
      'condition-analyzer.yaml ServiceEntry negative-condition-svcEntry': 'a ServiceEntry without spec',
      'conflicting-gateways-invalid-port.yaml Gateway alpha': 'a server without port',
      'conflicting-gateways-invalid-port.yaml Gateway beta': 'a server without port',
      'k8sgateway-selector.yaml Telemetry telemetry-effective': 'sets both selector and targetRef',
      'virtualservice_destinationhosts.yaml VirtualService reviews-bogushost': 'a route without destination',
    };
    const failing: string[] = [];
    let checked = 0;
    for (const file of corpusFiles(CORPUS)) {
      const resources: Resource[] = [];
      parseManifestText(readFileSync(file, 'utf8'), file, resources, [] as LoadProblem[]);
      for (const r of resources) {
        if (istioKindProblem(r.group, r.version, r.kind) !== undefined) continue;
        checked++;
        if (schemaIssues(r).length > 0) failing.push(`${file.split('/').pop()} ${r.kind} ${r.name}`);
      }
    }
    expect(checked).toBeGreaterThan(150);
    expect(failing.sort()).toEqual(Object.keys(invalid).sort());
  });

  it('treats null fields as absent without copying objects that have none', () => {
    const clean = { a: [{ b: 1 }], c: { d: 'x' } };
    expect(withoutNulls(clean)).toBe(clean);
    const withNull = { a: [{ b: null, e: 2 }, null], c: { d: 'x' }, f: null };
    expect(withoutNulls(withNull)).toEqual({ a: [{ e: 2 }, null], c: { d: 'x' } });
    expect(withNull.f).toBeNull();
  });
});
