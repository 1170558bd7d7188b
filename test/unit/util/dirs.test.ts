/** Output folders: created with their parents, and a path that cannot be created fails instead of hanging. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../../src/util/dirs.js';
import { ROOT } from '../cli/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'mesh-dirs-'));

/** The built CLI with a deadline: Node's recursive mkdir under /proc never returned. */
function meshWithin(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mesh.js'), ...args], {
    encoding: 'utf8',
    cwd: tmp,
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 15_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('makeDirs', () => {
  it('creates missing parents, accepts an existing folder, and refuses a file in the way', () => {
    const deep = join(tmp, 'a', 'b', 'c');
    makeDirs(deep);
    makeDirs(deep);
    expect(existsSync(deep)).toBe(true);
    writeFileSync(join(tmp, 'file'), '');
    expect(() => makeDirs(join(tmp, 'file'))).toThrow(/EEXIST/);
    expect(() => makeDirs(join(tmp, 'file', 'sub'))).toThrow(/ENOTDIR/);
  });

  it('throws for a folder under /proc, where mkdir says ENOENT although the parent exists', () => {
    expect(() => makeDirs('/proc/mesh-no-such/x')).toThrow(/ENOENT/);
  });
});

describe('commands writing folders under /proc', () => {
  it('manifest generate -o fails in one line (exit 1) instead of never returning', () => {
    const r = meshWithin(['manifest', 'generate', '-o', '/proc/mesh-out']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: cannot write the manifest into directory /proc/mesh-out: no such file or directory\n',
    });
  });

  it('a code cache folder that cannot be created is skipped: the command still ends', () => {
    const r = meshWithin(['version', '--remote=false'], { MESH_CACHE_DIR: '/proc/mesh-cache' });
    expect(r).toEqual({ code: 0, stdout: 'client version: 0.1.0\n', stderr: '' });
  });
});
