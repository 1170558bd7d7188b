import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');
export const FIX = join(ROOT, 'test/fixtures/cli');

/** Runs the built CLI (`npm test` builds first) the way a user does. */
export function mesh(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run npm run build first');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mesh.js'), ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
