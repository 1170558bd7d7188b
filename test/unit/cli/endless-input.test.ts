/**
 * Inputs that never end (stdin fed by `yes`, /dev/zero) given to the commands that read one file: each is
 * read up to mesh's limit and refused in one line (exit 65), instead of filling memory until the process
 * dies.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mesh, ROOT } from './helpers.js';

/** `yes | mesh ARGS`: the exit code and stderr. */
function fromEndlessStdin(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/mesh.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const line = Buffer.alloc(1 << 20, 'y\n');
    const feed = () => {
      while (child.stdin.write(line));
    };
    child.stdin.on('drain', feed);
    child.stdin.on('error', () => {}); // EPIPE once mesh stops reading
    feed();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('an input that never ends', () => {
  it.each([[['pc', 'cluster', '--file', '-']], [['kube-inject', '-f', '-']]])(
    'mesh %j with endless stdin: refused at the limit, exit 65',
    async (args) => {
      const r = await fromEndlessStdin(args);
      expect(r.stderr).toBe('Error: <stdin>: larger than 511 MiB, more than mesh reads of one input\n');
      expect(r.code).toBe(65);
    },
    60_000,
  );

  it('mesh pc cluster --file /dev/zero: refused at the limit, exit 65', () => {
    const r = mesh(['pc', 'cluster', '--file', '/dev/zero']);
    expect(r.stderr).toBe('Error: /dev/zero: larger than 511 MiB, more than mesh reads of one input\n');
    expect(r.code).toBe(65);
  }, 60_000);

  // These files were read whole with readFileSync: /dev/zero grew mesh to 16 GB in 40 s, and it then died
  // of std::bad_alloc (exit 134, no line naming the flag).
  it.each([
    [['analyze', 'examples', '--meshConfigFile', '/dev/zero'], 'mesh config file'],
    [['analyze', 'examples', '--meshNetworksFile', '/dev/zero'], 'mesh networks file'],
    [['analyze', 'examples', '--baseline', '/dev/zero'], 'baseline'],
    [['analyze', 'examples', '--external-file', '/dev/zero'], '--external-file'],
    [['analyze', 'examples', '--use-kube', '--kubeconfig', '/dev/zero'], 'kubeconfig'],
    [
      [
        'authz',
        'test',
        '-f',
        'test/fixtures/authz/policies.yaml',
        '--cases',
        'test/fixtures/authz/cases.yaml',
        '--meshConfigFile',
        '/dev/zero',
      ],
      'mesh config file',
    ],
  ])(
    'mesh %j: the flag file is refused at the limit, exit 65',
    (args, what) => {
      const r = mesh(args);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        65,
        '',
        `Error: cannot read ${what} /dev/zero: larger than 511 MiB, more than mesh reads of one input\n`,
      ]);
    },
    60_000,
  );
});
