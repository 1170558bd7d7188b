/** Exit codes shared by every command (see README "Exit codes"). */
export const ExitCode = {
  OK: 0,
  RUNTIME: 1,
  USAGE: 64,
  DATA: 65,
  /** An input file or folder named by the user does not exist or cannot be read (sysexits' EX_NOINPUT). */
  NOINPUT: 66,
  FINDINGS: 79,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a user should see as one line plus an optional hint; carries its exit code. */
export class MeshError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'MeshError';
    this.exitCode = opts.exitCode ?? ExitCode.RUNTIME;
    this.hint = opts.hint;
  }
}

/**
 * The reader of an output mesh writes went away first (EPIPE: `mesh … -o /dev/stdout | head`): mesh stops
 * quietly with 141, as a Unix tool that SIGPIPE ended, and as it does when its own stdout is closed.
 */
export class ReaderGoneError extends Error {
  readonly exitCode = 141;
}

export function usageError(message: string, hint?: string): MeshError {
  return new MeshError(message, { exitCode: ExitCode.USAGE, hint });
}

/** The first line of a server's answer, shortened for a one-line error ('' when it is blank). */
export function firstLine(text: string, max = 200): string {
  return text.trim().split('\n')[0]!.slice(0, max);
}

/** One line describing any thrown value, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  return String(err);
}
