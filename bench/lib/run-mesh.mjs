// Runs mesh (bin/mesh.js) as a child process under GNU time: exit code, wall time, peak RSS, output.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const MESH = join(new URL('../..', import.meta.url).pathname, 'bin/mesh.js');

export function runMesh(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, MESH, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const kb = Number(stderr.trim().split('\n').pop());
      resolve({ code, ms, rssMiB: kb / 1024, stdout, stderr });
    });
  });
}
