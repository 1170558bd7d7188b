import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`: creates `dir` and its missing parents. Node's own `mkdirSync(dir, { recursive: true })`
 * never returns when a parent exists but refuses new entries with ENOENT (any path under `/proc`, Node
 * 20); this goes up one level at a time, at most once each, and throws the error of the level that fails.
 */
export function makeDirs(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirs(parent);
    mkdirSync(dir);
  }
}
