import type { Stats } from 'node:fs';
import { lstat, open, readlink, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { MeshError, ReaderGoneError } from './errors.js';
import { errnoText } from './input.js';

/**
 * Writes `-o FILE` where a shell redirection would write, and never leaves a file half written:
 * - a regular file is replaced whole: a temporary file beside it, given its mode (and owner, where
 *   allowed), then renamed over it, so a failed write leaves it as it was (`-o` may name the `-f` file);
 *   through a symlink (or a chain of them) that is the file the last link names, and the links stay;
 * - a path that does not exist is created the same way; through a dangling symlink, the file it names
 *   is created, as shell redirection and istioctl's `-o` (Go's os.Create) do;
 * - anything else (a character device such as /dev/null, a FIFO) and a name for an open file descriptor
 *   (/dev/stdout, /dev/fd/N, /proc/self/fd/N) is opened and written, appending: a rename would put a
 *   regular file in its place, and truncating would drop what a `>>` redirection keeps. A socket cannot
 *   be opened: an error, as for a directory.
 * `text` may come in pieces (a report too large for one string), written in order.
 */
export async function writeOutput(file: string, text: string | Iterable<string>): Promise<void> {
  try {
    const target = await outputTarget(file);
    if (target === 'direct') await writeFile(file, text, { flag: 'a' });
    else await replaceWhole(target.path, text, target.was);
  } catch (err) {
    // a pipe whose reader went away (`-o /dev/stdout | head`): quiet, as for mesh's own stdout
    if ((err as NodeJS.ErrnoException).code === 'EPIPE')
      throw new ReaderGoneError(`cannot write ${file}: its reader went away (broken pipe)`);
    throw new MeshError(`cannot write ${file}: ${writeErrnoText(err)}`);
  }
}

/** Where `-o FILE` is written: `direct`ly, or the regular file (existing or not) to replace whole. */
async function outputTarget(file: string): Promise<'direct' | { path: string; was?: Stats }> {
  let was: Stats;
  try {
    was = await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return { path: await createdPath(file) };
  }
  if (was.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  // open() refuses a socket (ENXIO): say what it is rather than "no such device or address"
  if (was.isSocket()) throw new Error('is a socket, which cannot be opened as a file');
  if (!was.isFile() || (await namesOpenFd(file))) return 'direct';
  return { path: (await lstat(file)).isSymbolicLink() ? await realpath(file) : file, was };
}

/** Links followed at most, as Linux's own limit (ELOOP). */
const MAX_LINKS = 40;

const loop = () => Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });

/**
 * The file writing to `file`, which does not exist, creates: `file` itself, or at the end of a chain of
 * dangling symlinks the path the last one names (relative to the real directory of that link).
 */
async function createdPath(file: string): Promise<string> {
  let path = file;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let link: string;
    try {
      link = await readlink(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EINVAL') return path; // nothing there, or no link
      throw err;
    }
    path = resolve(await realpath(dirname(path)), link);
  }
  throw loop();
}

/** Directories whose entries stand for a process's open file descriptors. */
const FD_DIR = /^\/(?:dev\/fd|proc\/[^/]+(?:\/task\/[^/]+)?\/fd)\//;

/** Whether `file` or a symlink on the way to its target is a name for an open file descriptor. */
async function namesOpenFd(file: string): Promise<boolean> {
  let path = resolve(file);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    if (FD_DIR.test(path)) return true;
    if (!(await lstat(path)).isSymbolicLink()) return false;
    path = resolve(dirname(path), await readlink(path));
  }
  throw loop();
}

/**
 * Replaces (or creates) the regular file `path` with `text` whole or not at all: a temporary file in
 * its directory, flushed to disk, given the mode and owner of the file it replaces (`was`), then
 * renamed over it.
 */
async function replaceWhole(
  path: string,
  text: string | Iterable<string>,
  was: Stats | undefined,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.mesh-${process.pid}`);
  const handle = await open(tmp, 'wx', was ? 0o600 : 0o666);
  try {
    try {
      // each piece from where the last one ended
      for (const piece of typeof text === 'string' ? [text] : text) await handle.writeFile(piece);
      if (was) {
        // best effort: only root may give a file away (chown clears set-id bits, so the mode comes last)
        if (was.uid !== process.getuid?.() || was.gid !== process.getgid?.())
          await handle.chown(was.uid, was.gid).catch(() => undefined);
        await handle.chmod(was.mode & 0o7777);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** errnoText, and Go's words for opening a device with nothing behind it (ENXIO). */
function writeErrnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code === 'ENXIO' ? 'no such device or address' : errnoText(err);
}
