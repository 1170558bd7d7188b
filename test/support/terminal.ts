/**
 * mesh run in a pseudo-terminal (util-linux `script`), as a user at a terminal runs it: what the screen
 * showed, and keys typed when something appears on it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Whether util-linux `script` is here (not on macOS). */
export const pty = (() => {
  try {
    return /util-linux/.test(execFileSync('script', ['--version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
})();

/** mesh from src/, bundled as one file in `dir` that a test can run (its packages resolved from the repository). */
export async function bundleMesh(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const cli = JSON.stringify(pathToFileURL(join(root, 'src/cli.ts')).href);
  const mesh = join(dir, 'mesh.mjs');
  await build({
    stdin: {
      contents:
        "import { main } from './src/cli.ts'; main(process.argv).then((c) => (process.exitCode = c));",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: mesh,
    logLevel: 'error',
    define: { 'import.meta.url': cli },
    banner: { js: `import { createRequire as __cr } from 'node:module'; const require = __cr(${cli});` },
  });
  return mesh;
}

export interface TerminalRun {
  /** The exit code, null when a signal ended it. */
  code: number | null;
  /** Everything the terminal showed, carriage returns left out. */
  screen: string;
  /** When each key in `keys` was typed (ms since the start), in order. */
  typedAt: number[];
}

/**
 * The environment of a user at a terminal: the test runner's, with a TERM that can draw and without `CI`
 * (under `CI`, or with TERM=dumb, mesh rightly draws no spinner, whatever the terminal).
 */
function atATerminal(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  return env;
}

/**
 * Runs `node mesh args` in a pseudo-terminal, in the environment of a user at a terminal. `keys`: when the
 * screen first shows `when`, `type` is typed (`\x03` is Ctrl+C), after `delayMs`. `columns`: the terminal's
 * width (0, script's default without a terminal of its own, is one on which mesh draws no spinner).
 */
export function inTerminal(
  mesh: string,
  args: string[],
  opts: { keys?: Array<{ when: string; type: string; delayMs?: number }>; columns?: number } = {},
): Promise<TerminalRun> {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const run = [process.execPath, mesh, ...args].map(quote).join(' ');
  const command = opts.columns ? `stty cols ${opts.columns} rows 40; exec ${run}` : run;
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: atATerminal(),
  });
  const keys = [...(opts.keys ?? [])];
  const typedAt: number[] = [];
  const t0 = Date.now();
  let screen = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      const next = keys[0];
      if (next && screen.includes(next.when)) {
        keys.shift();
        setTimeout(() => {
          typedAt.push(Date.now() - t0);
          child.stdin.write(next.type);
        }, next.delayMs ?? 0);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      resolve({ code, screen: screen.replace(/\r/g, ''), typedAt });
    });
  });
}
