// `npm run bench`: runs every benchmark in bench/ (each prints its own figures).
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const dir = new URL('.', import.meta.url).pathname;
const only = process.argv.slice(2);
let failed = false;
for (const f of readdirSync(dir).sort()) {
  if (!f.endsWith('.mjs') || f === 'run.mjs') continue;
  if (only.length > 0 && !only.some((o) => f.includes(o))) continue;
  console.log(`\n== bench/${f}`);
  const r = spawnSync(process.execPath, [dir + f], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
