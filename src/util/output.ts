import { usageError } from './errors.js';
import { escapeControlKeepLines } from '../render/escape.js';

/** Validates an -o value against the formats a command supports (case-insensitive). */
export function parseOutputFormat<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const v = value.toLowerCase() as T;
  if (!allowed.includes(v))
    throw usageError(`unknown output format "${value}"`, `use one of: ${allowed.join(', ')}`);
  return v;
}

/** Writes to stdout and resolves when flushed (so exit codes never cut output short). */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (text === '') return resolve();
    process.stdout.write(text.endsWith('\n') ? text : text + '\n', () => resolve());
  });
}

/**
 * A message on stderr, its own line. Messages carry text from inputs (names, a server's answer): their
 * control characters are shown escaped (`\x1b`), so none acts on the terminal or forges a line; the line
 * breaks of a message of several lines stay. Text already rendered for a terminal (coloured, its input parts
 * escaped) goes through writeStderr.
 */
export function warn(message: string): void {
  writeStderr(escapeControlKeepLines(message));
}

/** Text already made safe for a terminal (see warn), on stderr, ending its line. */
export function writeStderr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}
