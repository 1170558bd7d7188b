// Generates docs/codes/*.md from the message catalogue (`npm run docs`, after the build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAllDocs, scanEmitters } from '../dist/render/code-docs.js';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'docs/codes');
mkdirSync(outDir, { recursive: true });
const pages = renderAllDocs(scanEmitters(join(root, 'src/analyzers')));
for (const [file, text] of pages) writeFileSync(join(outDir, file), text);
console.log(`wrote ${pages.size} pages to docs/codes/`);
