import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findSchemaKind,
  schemaKinds,
  standaloneValidatorSource,
  validatorModuleName,
} from '../../../src/analyzers/schema/compile.js';
import { schemaIssues, validatorFor } from '../../../src/analyzers/schema/validate.js';
import { fixtures } from './fixtures.js';

// The build writes standaloneValidatorSource() of every kind into dist/validators/; here the same modules
// go into a folder under node_modules (so that their require('ajv/dist/runtime/…') resolves).
const DIR = join(import.meta.dirname, '../../../node_modules/.cache', `mesh-validators-${process.pid}`);
const NONE = join(DIR, 'absent');

beforeAll(() => {
  mkdirSync(DIR, { recursive: true });
  for (const entry of schemaKinds())
    writeFileSync(join(DIR, validatorModuleName(entry)), standaloneValidatorSource(entry));
});
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('precompiled validators', () => {
  it('are loaded from the folder when present, and compiled on first use when not', () => {
    const entry = findSchemaKind('networking.istio.io', 'VirtualService')!;
    const precompiled = validatorFor(entry, DIR);
    const compiled = validatorFor(entry, NONE);
    expect(precompiled).not.toBe(compiled);
    // ajv attaches the schema to what it compiles in-process; a standalone module carries none.
    expect((compiled as any).schema).toBeDefined();
    expect((precompiled as any).schema).toBeUndefined();
    expect(validatorFor(entry, DIR)).toBe(precompiled);
  });

  it('give exactly the issues the in-process compilation gives, for every fixture', () => {
    let compared = 0;
    for (const fx of [...fixtures('valid'), ...fixtures('invalid')]) {
      for (const r of fx.resources) {
        expect(schemaIssues(r, DIR), `${fx.file} ${r.kind}/${r.name}`).toEqual(schemaIssues(r, NONE));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(40);
  });
});
