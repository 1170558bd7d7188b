import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import { MAX_NESTING } from '../../../src/manifests/limits.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

const HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n';

/** `levels` nested mappings in total (the top-level object counts as one), in each input format. */
const formats: Record<string, (levels: number) => { file: string; text: string }> = {
  json: (n) => ({
    file: 'deep.json',
    text: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":${'{"a":'.repeat(n - 1)}1${'}'.repeat(n - 1)}}`,
  }),
  'YAML flow': (n) => ({
    file: 'deep.yaml',
    text: `${HEAD}data: ${'{a: '.repeat(n - 1)}1${'}'.repeat(n - 1)}\n`,
  }),
  'YAML flow sequences': (n) => ({
    file: 'deep.yaml',
    text: `${HEAD}data: ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}\n`,
  }),
  'YAML block': (n) => {
    let text = `${HEAD}data:\n`;
    for (let i = 1; i < n - 1; i++) text += `${'  '.repeat(i)}a:\n`;
    return { file: 'deep.yaml', text: `${text}${'  '.repeat(n - 1)}a: 1\n` };
  },
  'YAML block sequences': (n) => {
    let text = `${HEAD}data:\n`;
    for (let i = 1; i < n - 1; i++) text += `${'  '.repeat(i)}-\n`;
    return { file: 'deep.yaml', text: `${text}${'  '.repeat(n - 1)}- 1\n` };
  },
};

function load(file: string, text: string) {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, resources, problems);
  return { resources, problems };
}

describe('nesting limit', () => {
  for (const [format, make] of Object.entries(formats)) {
    it(`is the same in ${format}: ${MAX_NESTING} levels are read, one more is refused with its line`, () => {
      const ok = make(MAX_NESTING);
      const okRun = load(ok.file, ok.text);
      expect(okRun.problems).toEqual([]);
      expect(okRun.resources.map((r) => r.name)).toEqual(['deep']);

      const deep = make(MAX_NESTING + 1);
      const deepRun = load(deep.file, deep.text);
      expect(deepRun.resources).toEqual([]);
      expect(deepRun.problems).toHaveLength(1);
      expect(deepRun.problems[0]).toMatchObject({ severity: 'error', file: deep.file });
      expect(deepRun.problems[0]!.message).toMatch(/more than 100 levels deep.*refused/);
      expect(deepRun.problems[0]!.line).toBeGreaterThan(0);
    });
  }

  it('refuses 10,000 levels without running out of stack, in every format', () => {
    for (const [format, make] of Object.entries(formats)) {
      // Block style indents every level: 1,000 levels are already 1 MB of text.
      const { file, text } = make(format.includes('block') ? 1000 : 10_000);
      const run = load(file, text);
      expect(run.problems.map((p) => p.message)).toEqual([expect.stringMatching(/more than 100 levels/)]);
    }
  });

  it('does not count brackets inside JSON strings', () => {
    const text = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"},"data":{"k":"${'[{'.repeat(200)}\\"]"}}`;
    const run = load('s.json', text);
    expect(run.problems).toEqual([]);
    expect(run.resources).toHaveLength(1);
  });
});
