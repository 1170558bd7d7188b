import { readFile } from 'node:fs/promises';

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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a dump given with --file (`-` = stdin); failures throw an Error with Go's wording. */
export async function readDumpInput(file: string): Promise<string> {
  if (file === '-') return readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(goPathError(err, file));
  }
}
