/** Reading input files and stdin for commands that take `--file` (`-` = stdin). */
import { readFileSync } from 'node:fs';

const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** Go's `*PathError` text (`open <f>: no such file or directory`), the way istioctl reports file errors. */
export function goPathError(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  const op = e.code === 'EISDIR' ? 'read' : 'open';
  return `${op} ${file}: ${(e.code && GO_ERRNO[e.code]) ?? e.message}`;
}

/** All of stdin as UTF-8 text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The whole text of `file` (`-` = stdin); a failure throws an Error worded like Go's. Files are read
 * synchronously in one piece: for dumps of tens of megabytes that is markedly cheaper than a chunked
 * asynchronous read and its decoding garbage.
 */
export async function readInputText(file: string): Promise<string> {
  if (file === '-') return readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(goPathError(err, file));
  }
}
