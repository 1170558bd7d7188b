/**
 * kube-inject -o FILE where FILE is not a plain regular file: a symlink, a dangling symlink, a FIFO, a
 * character device, a name for an open file descriptor. What the path names must be written, and the
 * path itself must stay what it was (never replaced by a regular file).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { ROOT } from '../cli/helpers.js';
import { DEPLOYMENTS, scratch } from './kube-inject-run.js';

let expected = '';
beforeAll(async () => {
  expected = (await runCli(['kube-inject', '-f', DEPLOYMENTS])).stdout;
  expect(expected).toContain('istio-proxy');
});

const injectTo = (out: string) => runCli(['kube-inject', '-f', DEPLOYMENTS, '-o', out]);
const ok = { code: 0, stdout: '', stderr: '' };
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.mesh-'));

describe('kube-inject -o -', () => {
  it('is stdout, the same text, and makes no file named "-"', () => {
    // Before: a file named "-" in the working directory (as istioctl writes it) and nothing printed
    const { dir } = scratch('mesh-inject-dash-');
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/mesh.js'), 'kube-inject', '-f', join(ROOT, DEPLOYMENTS), '-o', '-'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(expected);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('kube-inject -o through a symlink', () => {
  it('writes the file the link names, keeps the link and the file mode', async () => {
    const { dir, file } = scratch('mesh-inject-link-');
    const real = file('real.yaml', 'original\n');
    chmodSync(real, 0o640);
    const link = join(dir, 'link.yaml');
    symlinkSync('real.yaml', link);
    expect(await injectTo(link)).toEqual(ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.yaml');
    expect(readFileSync(real, 'utf8')).toBe(expected);
    expect(statSync(real).mode & 0o777).toBe(0o640);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a chain of links into another directory: the last target is replaced, in its own directory', async () => {
    const a = scratch('mesh-inject-link-a-');
    const b = scratch('mesh-inject-link-b-');
    const real = b.file('real.yaml', 'original\n');
    symlinkSync(real, join(b.dir, 'hop.yaml'));
    const link = join(a.dir, 'link.yaml');
    symlinkSync(join(b.dir, 'hop.yaml'), link);
    expect(await injectTo(link)).toEqual(ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(b.dir, 'hop.yaml')).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe(expected);
    expect([...leftovers(a.dir), ...leftovers(b.dir)]).toEqual([]);
  });

  it('a dangling link: the file it names is created (as shell redirection and istioctl -o do)', async () => {
    const { dir } = scratch('mesh-inject-dangling-');
    const link = join(dir, 'link.yaml');
    symlinkSync('new.yaml', link);
    expect(await injectTo(link)).toEqual(ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'new.yaml'), 'utf8')).toBe(expected);
    expect(leftovers(dir)).toEqual([]);
  });

  it('a dangling link into a missing directory is one line, exit 1, the link kept', async () => {
    const { dir } = scratch('mesh-inject-dangling-');
    const link = join(dir, 'link.yaml');
    symlinkSync('no-such-dir/new.yaml', link);
    expect(await injectTo(link)).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot write ${link}: no such file or directory\n`,
    });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a symlink loop is one line, exit 1, and the links stay', async () => {
    const { dir } = scratch('mesh-inject-loop-');
    const link = join(dir, 'a.yaml');
    symlinkSync('b.yaml', link);
    symlinkSync('a.yaml', join(dir, 'b.yaml'));
    expect(await injectTo(link)).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot write ${link}: too many levels of symbolic links\n`,
    });
    expect(readlinkSync(link)).toBe('b.yaml');
  });
});

describe('kube-inject -o to something that is not a regular file is written to, never replaced', () => {
  it('a FIFO: a reader gets the output, the FIFO stays a FIFO', async () => {
    const { dir } = scratch('mesh-inject-fifo-');
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const read = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    try {
      expect(await injectTo(fifo)).toEqual(ok);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      await read;
      expect(Buffer.concat(chunks).toString('utf8')).toBe(expected);
    } finally {
      reader.kill();
    }
    expect(leftovers(dir)).toEqual([]);
  });

  it('a character device (/dev/null, through a link to it): written, still a device, the link kept', async () => {
    // through a link, so that a regression replaces the link in a scratch directory, not /dev/null itself
    const { dir } = scratch('mesh-inject-null-');
    const link = join(dir, 'my-null');
    symlinkSync('/dev/null', link);
    expect(await injectTo(link)).toEqual(ok);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(statSync(link).isCharacterDevice()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
    expect(leftovers('/dev')).toEqual([]);
  });

  it('a Unix socket cannot be opened: one line, exit 1, and the socket stays', async () => {
    const { dir } = scratch('mesh-inject-socket-');
    const path = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(await injectTo(path)).toEqual({
        code: 1,
        stdout: '',
        stderr: `Error: cannot write ${path}: is a socket, which cannot be opened as a file\n`,
      });
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      server.close();
    }
  });

  it.skipIf(!existsSync('/proc/self/fd'))(
    'a name for an open file descriptor (/dev/stdout, /proc/self/fd/N) on a file opened to append: appended to, same file',
    async () => {
      const { dir, file } = scratch('mesh-inject-fd-');
      const log = file('log.yaml', '# earlier\n');
      const ino = statSync(log).ino;
      const fd = openSync(log, 'a');
      try {
        const link = join(dir, 'my-stdout');
        symlinkSync(`/proc/self/fd/${fd}`, link);
        expect(await injectTo(link)).toEqual(ok);
        expect(lstatSync(link).isSymbolicLink()).toBe(true);
        expect(await injectTo(`/proc/self/fd/${fd}`)).toEqual(ok);
      } finally {
        closeSync(fd);
      }
      expect(statSync(log).ino).toBe(ino);
      expect(readFileSync(log, 'utf8')).toBe(`# earlier\n${expected}${expected}`);
      expect(leftovers(dir)).toEqual([]);
    },
  );
});

describe('kube-inject -o onto a regular file', () => {
  it('keeps its mode (a 0600 file stays private)', async () => {
    const { dir, file } = scratch('mesh-inject-mode-');
    const out = file('out.yaml', 'secret\n');
    chmodSync(out, 0o600);
    expect(await injectTo(out)).toEqual(ok);
    expect(readFileSync(out, 'utf8')).toBe(expected);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });
});
