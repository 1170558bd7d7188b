import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import type { Resource } from '../../../src/manifests/types.js';
import { fixture } from './net-helpers.js';

const KINDS = [
  'VirtualService',
  'DestinationRule',
  'Gateway',
  'ServiceEntry',
  'Sidecar',
  'WorkloadEntry',
  'WorkloadGroup',
  'EnvoyFilter',
  'ProxyConfig',
];
const FIXTURES = [
  'virtualservice-valid.yaml',
  'destinationrule-valid.yaml',
  'gateway-valid.yaml',
  'serviceentry-valid.yaml',
  'sidecar-valid.yaml',
  'workloads-valid.yaml',
  'envoyfilter-valid.yaml',
];

function resource(kind: string, spec: unknown): Resource {
  return {
    apiVersion: 'networking.istio.io/v1',
    group: 'networking.istio.io',
    version: 'v1',
    kind,
    key: `networking.istio.io/${kind}`,
    name: 'fuzz',
    namespace: 'default',
    metadata: { name: 'fuzz', namespace: 'default' },
    spec,
    body: { spec },
    origin: { file: 'fuzz.yaml', docIndex: 0, line: 1, column: 1 },
  };
}

/** Replaces the value at a pseudo-random position of `value` (chosen by `pick`) with `replacement`. */
function mutate(value: unknown, pick: number, replacement: unknown): unknown {
  if (typeof value !== 'object' || value === null) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0 || pick % 5 === 0) return replacement;
  const key = keys[pick % keys.length]!;
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  copy[key] = mutate(copy[key], Math.floor(pick / keys.length), replacement);
  return copy;
}

describe('networking semantic rules never throw', () => {
  it('on arbitrary specs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.jsonValue({ maxDepth: 6 }), (kind, spec) => {
        const issues = SEMANTIC_VALIDATORS[kind]!(resource(kind, spec));
        expect(Array.isArray(issues)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on realistic specs with one field replaced by an arbitrary value', () => {
    const specs = FIXTURES.flatMap((f) => fixture(f)).map((r) => ({ kind: r.kind, spec: r.spec }));
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.nat(),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(null), fc.constant(undefined)),
        ({ kind, spec }, pick, replacement) => {
          for (const issue of SEMANTIC_VALIDATORS[kind]!(resource(kind, mutate(spec, pick, replacement)))) {
            expect(issue.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
