import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emittersOf, renderAllDocs } from '../../../src/render/code-docs.js';
import { MESSAGES, docsUrl } from '../../../src/analyzers/messages.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('per-code documentation pages', () => {
  it('exist for every code and match the catalogue (run `npm run docs` after changing messages)', () => {
    const pages = renderAllDocs();
    expect(pages.size).toBe(MESSAGES.size + 1);
    for (const [file, text] of pages)
      expect(readFileSync(join(ROOT, 'docs/codes', file), 'utf8'), file).toBe(text);
  });
  it('name the analyzers that declare each code, the runner for IST0001, and no analyzer only when none does', () => {
    const emitters = emittersOf();
    expect(emitters.get('IST0125')).toEqual(['`annotations.K8sAnalyzer`']);
    expect(emitters.get('IST0176')).toEqual(['`k8sgateway.CRDVersionAnalyzer`']);
    // the schema analyzer of every kind Istio serves (not the two of the mesh config, which check nothing)
    expect(emitters.get('IST0106')).toHaveLength(15);
    expect(emitters.get('IST0106')).toContain('`schema.ValidationAnalyzer.VirtualService`');
    expect(emitters.get('IST0130')).toEqual(['`schema.ValidationAnalyzer.VirtualService`']);
    expect(emitters.get('IST0136')).toEqual([
      '`annotations.AlphaAnalyzer` (opt-in: runs only when named with `--analyzer`)',
    ]);
    expect(emitters.get('IST0001')).toEqual([expect.stringContaining('any analyzer that fails')]);
    // install prechecks and upstream messages no analyzer reports (codes.test.ts holds the list)
    const none = [...MESSAGES.keys()].filter((c) => !emitters.has(c));
    expect(none).toEqual(['IST0141', 'IST0142', 'IST0143', 'IST0156', 'IST0168', 'IST0169', 'IST0172']);
    for (const c of none)
      expect(renderAllDocs(emitters).get(`${c.toLowerCase()}.md`)).toContain('no analyzer of `mesh analyze`');
  });
  it('are what every output format links to', () => {
    expect(docsUrl('IST0101')).toMatch(/docs\/codes\/ist0101\.md$/);
  });
});
