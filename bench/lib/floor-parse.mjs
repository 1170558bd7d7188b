// The floor: a fresh Node process that reads every file of a folder and parses it with js-yaml loadAll.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsYaml from 'js-yaml';

const dir = process.argv[2];
let docs = 0;
for (const f of readdirSync(dir)) jsYaml.loadAll(readFileSync(join(dir, f), 'utf8'), () => docs++);
if (docs === 0) process.exit(2);
