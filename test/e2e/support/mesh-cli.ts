// Runs the built CLI (bin/mesh.js) as a child process, as a user would, without blocking the test's
// event loop (tests make workloads ready or cut connections while it runs).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');

export interface MeshRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runMesh(
  args: string[],
  /** `onStderr` sees all of stderr so far on every chunk (to act while mesh runs). */
  opts: { env?: Record<string, string>; input?: string; onStderr?: (soFar: string) => void } = {},
): Promise<MeshRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/mesh.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1', MESH_PROTECTED_CONTEXTS: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr);
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
