import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The installed package's root folder (where package.json, schemas/ and dist/ live), found by walking up
 * from this module. Works the same from src/ (tests), dist/ and the bundle dist/mesh.cjs.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mesh-cli')
      return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the mesh-cli package root');
    dir = up;
  }
}

/** A path as the file system resolves it (links followed), or as given, made absolute, when it does not exist. */
export function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}
