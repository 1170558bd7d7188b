import { usageError } from './errors.js';

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

export function warn(message: string): void {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
}
