import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

/** test/fixtures/schema: valid/<kind>.yaml are realistic objects, invalid/<kind>.yaml typical mistakes. */
export const SCHEMA_FIXTURES = join(import.meta.dirname, '../../fixtures/schema');

export interface Fixture {
  file: string;
  text: string;
  resources: Resource[];
}

export function fixtures(kind: 'valid' | 'invalid'): Fixture[] {
  const dir = join(SCHEMA_FIXTURES, kind);
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const text = readFileSync(file, 'utf8');
      const resources: Resource[] = [];
      const problems: LoadProblem[] = [];
      parseManifestText(text, file, resources, problems);
      if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
      return { file, text, resources };
    });
}

/** Line (1-based) → the texts that the `# expect: TEXT` comments on it announce. */
export function expectations(text: string): Map<number, string> {
  const out = new Map<number, string>();
  text.split('\n').forEach((line, i) => {
    const m = /# expect: (.*)$/.exec(line);
    if (m) out.set(i + 1, m[1]!.trim());
  });
  return out;
}
