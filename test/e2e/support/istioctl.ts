// The testbed's istioctl as the oracle of differential tests, run without blocking the test's event loop.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { MeshRun } from './mesh-cli.js';

/** `istioctl ARGS` from the testbed's binaries folder: its exit code and output. */
export function runIstioctl(binDir: string, args: string[]): Promise<MeshRun> {
  return new Promise((resolve) => {
    const child = spawn(join(binDir, 'istioctl'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
