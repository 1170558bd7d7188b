// Generates docs/codes/*.md from the message catalogue (`npm run docs`, after the build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAllDocs } from '../dist/render/code-docs.js';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'docs/codes');
mkdirSync(outDir, { recursive: true });
// "Reported by" comes from the codes each analyzer declares (and the runner holds it to).
const pages = renderAllDocs();
for (const [file, text] of pages) writeFileSync(join(outDir, file), text);
console.log(`wrote ${pages.size} pages to docs/codes/`);
