import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAllDocs, scanEmitters } from '../../../src/render/code-docs.js';
import { MESSAGES, docsUrl } from '../../../src/analyzers/messages.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('per-code documentation pages', () => {
  it('exist for every code and match the catalogue (run `npm run docs` after changing messages)', () => {
    const pages = renderAllDocs(scanEmitters(join(ROOT, 'src/analyzers')));
    expect(pages.size).toBe(MESSAGES.size + 1);
    for (const [file, text] of pages)
      expect(readFileSync(join(ROOT, 'docs/codes', file), 'utf8'), file).toBe(text);
  });
  it('are what every output format links to', () => {
    expect(docsUrl('IST0101')).toMatch(/docs\/codes\/ist0101\.md$/);
  });
});
