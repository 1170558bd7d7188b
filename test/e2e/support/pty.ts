// Runs the built CLI (bin/mesh.js) on a real pseudo-terminal, as a person at a terminal would: util-linux
// `script` allocates the pty, runs the command in it and relays what the test types. stdin and stderr are
// the terminal; stdout goes to a file (`stdoutFile`), so a test sees what a pipe after mesh would get.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export interface PtyRun {
  /** Everything the terminal showed so far (stderr, prompts, echo of what was typed). */
  screen(): string;
  /** Resolves once the terminal shows `text` (or matches it); fails after `timeoutMs` naming what it saw. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Types `keys` at the terminal (`\r` is Enter, `\x03` Ctrl+C). */
  type(keys: string): void;
  /** The exit code, the whole screen, and what mesh wrote to stdout (the file). */
  done: Promise<{ code: number; screen: string; stdout: string }>;
}

/**
 * `mesh ARGS` on a 100×40 terminal. The environment is a person's: colours allowed, CI unset (ora stays
 * still under CI), no protected contexts unless `env` says so. `stdinFrom` redirects stdin (e.g.
 * /dev/null) to see mesh at a terminal whose input is not one.
 */
export function runMeshInPty(
  args: string[],
  opts: { env?: Record<string, string>; stdinFrom?: string } = {},
): PtyRun {
  const stdoutFile = join(mkdtempSync(join(tmpdir(), 'mesh-pty-')), 'stdout');
  const mesh = [process.execPath, join(ROOT, 'bin/mesh.js'), ...args].map(quote).join(' ');
  const redirect = `>${quote(stdoutFile)}${opts.stdinFrom ? ` <${quote(opts.stdinFrom)}` : ''}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    SHELL: '/bin/sh',
    TERM: 'xterm-256color',
    NO_COLOR: '',
    FORCE_COLOR: '',
    MESH_PROTECTED_CONTEXTS: '',
    ...opts.env,
  };
  delete env.CI;
  // Unset rather than empty: Node warns on a terminal when NO_COLOR and FORCE_COLOR are both defined.
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (env[k] === '') delete env[k];
  const child = spawn('script', ['-qfec', `stty cols 100 rows 40; exec ${mesh} ${redirect}`, '/dev/null'], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let screen = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d) => {
    screen += d;
    for (const w of waiters) w();
  });
  let exited = false;
  const done = new Promise<{ code: number; screen: string; stdout: string }>((resolve) =>
    child.on('close', (code) => {
      exited = true;
      child.stdin.end();
      for (const w of waiters) w();
      resolve({ code: code ?? -1, screen, stdout: readFileSync(stdoutFile, 'utf8') });
    }),
  );
  return {
    screen: () => screen,
    type: (keys) => child.stdin.write(keys),
    done,
    waitFor: (text, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => fail(`after ${timeoutMs} ms`), timeoutMs);
        const fail = (why: string) => {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`terminal never showed ${String(text)} (${why}); it showed:\n${screen}`));
        };
        const check = () => {
          if (typeof text === 'string' ? screen.includes(text) : text.test(screen)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          } else if (exited) fail('mesh exited');
        };
        waiters.add(check);
        check();
      }),
  };
}
