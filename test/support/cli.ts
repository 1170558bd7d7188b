/**
 * Runs `mesh` in-process (src/cli.ts `main`) with stdout and stderr captured, so tests that talk to
 * in-process stand-in servers need no build. Calls are serialised: the streams are process-wide.
 */
import { join, relative } from 'node:path';
import { main } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

const stdoutWrites = new WeakMap<CliResult, number>();

/** How many writes made a run's stdout: a large output comes in several, none of them the whole text. */
export const writesOf = (r: CliResult): number => stdoutWrites.get(r)!;

export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    const out: string[] = [];
    const err: string[] = [];
    const capture = (sink: string[]) =>
      ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        if (cb) setImmediate(cb);
        return true;
      }) as typeof process.stdout.write;
    const saved = { out: process.stdout.write, err: process.stderr.write, exitCode: process.exitCode };
    const savedEnv: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries({ NO_COLOR: '1', ...env })) {
      savedEnv[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    process.exitCode = undefined;
    try {
      const code = await main(['node', 'mesh', ...args]);
      const r = { code, stdout: out.join(''), stderr: err.join('') };
      stdoutWrites.set(r, out.length);
      return r;
    } finally {
      process.stdout.write = saved.out;
      process.stderr.write = saved.err;
      process.exitCode = saved.exitCode;
      for (const [k, v] of Object.entries(savedEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/**
 * `mesh analyze -A` on one fixture of `dir`: the exit code, the finding lines (stdout) and the file's
 * path as mesh names it (relative to the working directory).
 */
export async function analyzeFixture(
  dir: string,
  name: string,
): Promise<{ code: number; lines: string[]; file: string }> {
  const file = relative(process.cwd(), join(dir, name));
  const r = await runCli(['analyze', '-A', file]);
  return { code: r.code, lines: r.stdout.trim().split('\n'), file };
}
