import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptanceCheck } from '../../../src/analyzers/schema/accept.js';
import { findSchemaKind, schemaKinds, type SchemaKind } from '../../../src/analyzers/schema/compile.js';
import { validatorFor, withoutNulls } from '../../../src/analyzers/schema/validate.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { allPaths, realManifestFiles } from '../../support/manifests.js';

/** Every Istio object of the shipped examples, the fixtures and the upstream conformance inputs. */
function istioObjects(): Array<{ entry: SchemaKind; body: unknown; where: string }> {
  const out: Array<{ entry: SchemaKind; body: unknown; where: string }> = [];
  for (const file of realManifestFiles()) {
    const resources: Resource[] = [];
    const problems: LoadProblem[] = [];
    parseManifestText(readFileSync(file, 'utf8'), file, resources, problems);
    for (const r of resources) {
      const entry = findSchemaKind(r.group, r.kind);
      if (entry) out.push({ entry, body: withoutNulls(r.body), where: `${file} ${r.kind} ${r.name}` });
    }
  }
  return out;
}

/** What ajv (the precompiled validator the analyzers use) says. */
const ajvAccepts = (entry: SchemaKind, body: unknown): boolean => validatorFor(entry)(body);

describe('quick acceptance check', () => {
  it('covers every kind (no schema uses a keyword it leaves to ajv)', () => {
    for (const entry of schemaKinds()) expect(acceptanceCheck(entry), entry.kind).toBeDefined();
  });

  const objects = istioObjects();

  it('accepts exactly what ajv accepts, for every shipped and upstream Istio object', () => {
    let valid = 0;
    for (const { entry, body, where } of objects) {
      const ajv = ajvAccepts(entry, body);
      expect(acceptanceCheck(entry)!(body), where).toBe(ajv);
      if (ajv) valid++;
    }
    expect(objects.length).toBeGreaterThan(400);
    // both answers occur in numbers
    expect(valid).toBeGreaterThan(400);
    expect(objects.length - valid).toBeGreaterThan(20);
  });

  // Values that cross the schemas' type, length, range, pattern and enum rules.
  const replacement = fc.oneof(
    fc.constantFrom(
      '',
      'x',
      'a'.repeat(64),
      'a'.repeat(300),
      '😀'.repeat(40),
      'Ab-1',
      '-bad-',
      'ISTIO_MUTUAL',
      'STRICT',
      'DENY',
      'HTTP',
      'tcp',
      '10s',
      '1.5h',
      '30',
      'ns/name',
      '*.example.com',
      0,
      -1,
      1,
      80,
      65535,
      65536,
      2 ** 31,
      1.5,
      Infinity,
      true,
      false,
      null,
      [],
      {},
      ['a'],
      [1, 2],
      { name: 'x' },
      { exact: 'x', prefix: 'y' },
      { port: 1, derivePort: true },
    ),
    fc.string({ maxLength: 8 }),
    fc.integer(),
  );

  it('agrees with ajv on thousands of mutated objects (a field replaced, removed or added)', () => {
    const valid = objects.filter(({ entry, body }) => ajvAccepts(entry, body));
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: valid.length - 1 }),
        fc.nat(),
        fc.constantFrom('replace', 'remove', 'add'),
        replacement,
        (pick, at, op, value) => {
          const { entry, body, where } = valid[pick]!;
          const copy = structuredClone(body) as Record<string, any>;
          const paths = allPaths(copy);
          if (paths.length === 0) return;
          const path = paths[at % paths.length]!;
          const parent = path.slice(0, -1).reduce((o: any, k) => o[k], copy);
          const key = path[path.length - 1]!;
          if (op === 'replace') parent[key] = value;
          else if (op === 'remove') {
            if (Array.isArray(parent)) parent.splice(key as number, 1);
            else delete parent[key];
          } else {
            const target = parent[key];
            if (target && typeof target === 'object' && !Array.isArray(target)) target.unknownField = value;
            else if (Array.isArray(target)) target.push(value);
            else parent[key] = { [String(key)]: value };
          }
          const body2 = withoutNulls(copy);
          const ajv = ajvAccepts(entry, body2);
          expect(acceptanceCheck(entry)!(body2), `${where}: ${op} ${path.join('.')}`).toBe(ajv);
          if (ajv) accepted++;
          else rejected++;
        },
      ),
      { numRuns: 6000, seed: 20261205 },
    );
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(2000);
  });
});
