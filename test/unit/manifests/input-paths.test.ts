/**
 * `mesh analyze` inputs that are not plain readable files: FIFOs, devices, stdin without end, files and
 * folders that cannot be read, dangling and looping links, deep folder trees. Each is reported in one
 * line naming the path, never waited on or read without limit, and the other inputs' findings stay.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadManifests } from '../../../src/manifests/load.js';
import { readBounded } from '../../../src/util/input.js';
import { runCli } from '../../support/cli.js';
import { PLANTED } from '../../support/manifests.js';

const linux = process.platform === 'linux';
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-input-paths-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const NAMESPACE =
  'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n';
const plantedFinding = (file: string) =>
  `Error [IST0106] (VirtualService default/planted ${file}:12) Schema validation error: weight must be a non-negative integer, got -5`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A FIFO at `path` (Node has no mkfifo). */
function mkfifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * A writer that opens `fifo` after a while and closes it at once: a mesh that (wrongly) waits on the FIFO
 * then reads an empty file and the test fails on its assertions instead of hanging. A mesh that (rightly)
 * never opens it leaves the writer waiting, and afterEach ends it.
 */
function lateEmptyWriter(fifo: string): void {
  children.push(spawn('sh', ['-c', 'sleep 2; : > "$0"', fifo], { stdio: 'ignore' }));
}

describe.skipIf(!linux)('FIFOs, sockets and devices', () => {
  it('in a folder, a FIFO and a link to a device are skipped with a warning each; the rest is analyzed', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    const fifo = mkfifo(join(dir, 'pipe.yaml'));
    symlinkSync('/dev/null', join(dir, 'null.yaml'));
    mkfifo(join(dir, 'other-pipe')); // not a manifest name: passed over quietly, as other files are
    lateEmptyWriter(fifo);
    const r = await runCli(['analyze', dir]);
    expect(r.stdout).toContain(plantedFinding(join(dir, 'planted.yaml')));
    expect(r.stderr).toBe(
      `warning: ${join(dir, 'null.yaml')}: skipped: a character device, not a regular file\n` +
        `warning: ${join(dir, 'pipe.yaml')}: skipped: a FIFO (named pipe), not a regular file\n` +
        `Error: Analyzers found issues when analyzing ${dir}.\n`,
    );
    expect(r.code).toBe(79);
  });

  it('a socket named on the command line cannot be read: exit 66 naming it; in a folder it is passed over', async () => {
    const dir = tmp();
    const sock = join(dir, 'sock.yaml');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      writeFileSync(join(dir, 'ns.yaml'), NAMESPACE);
      const r = await runCli(['analyze', sock, join(dir, 'ns.yaml')]);
      expect(r).toEqual({
        code: 66,
        stdout: '',
        stderr:
          `error: ${sock}: cannot read file: no such device or address\n` +
          'Error: 1 input path(s) could not be read.\n',
      });
      const inFolder = await runCli(['analyze', dir]);
      expect(inFolder).toEqual({
        code: 0,
        stdout: '',
        stderr:
          `warning: ${sock}: skipped: a socket, not a regular file\n` +
          `✔ No validation issues found when analyzing ${dir}.\n`,
      });
    } finally {
      server.close();
    }
  });

  it('a FIFO named on the command line is read up to --max-file-size, then refused as a larger file is', async () => {
    const dir = tmp();
    const planted = join(dir, 'planted.yaml');
    writeFileSync(planted, PLANTED);
    const fifo = mkfifo(join(dir, 'helm.yaml'));
    // 200 KB of YAML comments, more than the 0.05 MiB limit below
    children.push(spawn('sh', ['-c', `yes '# filler' | head -c 200000 > "$0"`, fifo], { stdio: 'ignore' }));
    const r = await runCli(['analyze', fifo, planted, '--max-file-size', '0.05']);
    expect(r.stderr).toContain(
      `error: ${fifo}: file is over the 0.05 MiB limit (--max-file-size); reading stopped there\n`,
    );
    expect(r.stdout).toContain(plantedFinding(planted));
    expect(r.code).toBe(79);
  });

  it('a FIFO named on the command line is read whatever its name, as `<(helm template …)` names one', async () => {
    // /dev/fd/63 has no .yaml extension: it was skipped with a warning and the run ended `✔ No validation
    // issues found`, exit 0, its manifests never analyzed
    const dir = tmp();
    const fifo = mkfifo(join(dir, '63'));
    children.push(spawn('sh', ['-c', 'cat "$1" > "$0"', fifo, '-'], { stdio: ['pipe', 'ignore', 'ignore'] }));
    children.at(-1)!.stdin!.end(PLANTED);
    const r = await runCli(['analyze', fifo]);
    expect(r).toEqual({
      code: 79,
      stdout: `${plantedFinding(fifo)}\n`,
      stderr: `Error: Analyzers found issues when analyzing ${fifo}.\n`,
    });
  });

  it('a character device named on the command line is read as stdin is: up to the limit, then refused', async () => {
    const r = await runCli(['analyze', '/dev/zero', '--max-file-size', '0.05']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(
      'error: /dev/zero: file is over the 0.05 MiB limit (--max-file-size); reading stopped there\n',
    );
  });

  it('stdin that never ends (as `< /dev/zero`) stops at the limit: an error naming stdin, the rest analyzed', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    const res = await loadManifests(['-', dir], {
      stdin: createReadStream('/dev/zero'),
      maxFileBytes: 1024 * 1024,
    });
    expect(res.problems).toEqual([
      {
        severity: 'error',
        file: '-',
        message: 'stdin is over the 1 MiB limit (--max-file-size); reading stopped there',
      },
    ]);
    expect(res.resources.map((r) => r.name)).toEqual(['planted']);
  });

  it('stdin within the limit is read whole, as a file is (binary content refused)', async () => {
    const ok = await loadManifests(['-'], { stdin: Readable.from([Buffer.from(NAMESPACE)]) });
    expect(ok.problems).toEqual([]);
    expect(ok.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(['Namespace/shop']);
    const binary = await loadManifests(['-'], { stdin: Readable.from([Buffer.from([0x61, 0, 0x62])]) });
    expect(binary.problems).toEqual([
      { severity: 'error', file: '-', message: 'binary file (contains NUL bytes), not a manifest' },
    ]);
  });

  it('readBounded stops reading an endless device past the limit, holding no more than the limit', async () => {
    const zero = createReadStream('/dev/zero');
    expect(await readBounded(zero, 3 * 65536 + 1)).toBeUndefined();
    expect(zero.destroyed).toBe(true);
    const bytes = await readBounded(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4);
    expect(bytes?.toString()).toBe('abcd');
  });
});

describe('--max-file-size', () => {
  it('above what one string can hold (511 MiB) is a usage error stating the maximum', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'ns.yaml'), NAMESPACE);
    for (const value of ['512', '600', '1e6']) {
      const r = await runCli(['analyze', dir, '--max-file-size', value]);
      expect(r).toEqual({
        code: 64,
        stdout: '',
        stderr:
          `Error: invalid --max-file-size "${value}": a number of MiB above 0, at most 511\n` +
          "Hint: a file is parsed as one string, and Node's strings hold less than 512 MiB\n",
      });
    }
    expect((await runCli(['analyze', dir, '--max-file-size', '511'])).code).toBe(0);
  });

  it('a limit below a kilobyte names the sizes it compares, not "0.0 MiB, over the 0 MiB limit"', async () => {
    const file = join(tmp(), 'ns.yaml');
    writeFileSync(file, NAMESPACE); // 93 bytes
    const r = await runCli(['analyze', file, '--max-file-size', '0.00005']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([
      65,
      `error: ${file}: file is 0.0000887 MiB, over the 0.00005 MiB limit (--max-file-size)`,
    ]);
  });
});

describe('files and folders that cannot be read', () => {
  it.skipIf(!linux)(
    'a file in a folder whose read fails (EIO) is exit 66, "could not be read", not a parse error',
    async () => {
      const dir = tmp();
      writeFileSync(join(dir, 'ns.yaml'), NAMESPACE);
      // a regular file of size 0 whose first read fails, even for root
      symlinkSync('/proc/self/mem', join(dir, 'mem.yaml'));
      const r = await runCli(['analyze', dir]);
      expect(r).toEqual({
        code: 66,
        stdout: '',
        stderr:
          `error: ${join(dir, 'mem.yaml')}: cannot read file: input/output error\n` +
          'Error: 1 input path(s) could not be read.\n',
      });
      const json = await runCli(['analyze', dir, '-o', 'json']);
      const report = JSON.parse(json.stdout);
      expect(report.problems).toEqual([
        {
          severity: 'error',
          file: join(dir, 'mem.yaml'),
          message: 'cannot read file: input/output error',
          noInput: true,
        },
      ]);
      expect(report.summary).toMatchObject({ parseErrors: 0, exitCode: 66 });
      // findings elsewhere still decide: 79 over 66
      writeFileSync(join(dir, 'planted.yaml'), PLANTED);
      const withFinding = await runCli(['analyze', dir]);
      expect(withFinding.stdout).toContain(plantedFinding(join(dir, 'planted.yaml')));
      expect(withFinding.stderr).toContain('Error: 1 input path(s) could not be read.\n');
      expect(withFinding.code).toBe(79);
    },
  );

  it.skipIf(!linux || process.getuid?.() !== 0)(
    'a mode-000 file and folder read by another user: each named, permission denied, exit 66',
    async () => {
      const dir = tmp();
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'ok.yaml'), NAMESPACE);
      writeFileSync(join(dir, 'secret.yaml'), NAMESPACE.replace('shop', 'secret'));
      chmodSync(join(dir, 'secret.yaml'), 0);
      mkdirSync(join(dir, 'locked'));
      writeFileSync(join(dir, 'locked', 'vs.yaml'), PLANTED);
      chmodSync(join(dir, 'locked'), 0);
      await runCli(['analyze', dir]); // loads every module while still root
      process.seteuid!(65534);
      let r;
      try {
        r = await runCli(['analyze', dir]);
      } finally {
        process.seteuid!(0);
      }
      expect(r).toEqual({
        code: 66,
        stdout: '',
        stderr:
          `error: ${join(dir, 'locked')}: cannot read folder: permission denied\n` +
          `error: ${join(dir, 'secret.yaml')}: cannot read file: permission denied\n` +
          'Error: 2 input path(s) could not be read.\n',
      });
    },
  );

  it('an entry whose path grew too long to open (through links) is named, not skipped silently', async () => {
    const dir = tmp();
    const long = 'l'.repeat(250);
    // each level is a link with a long name to the next real folder: real paths stay short, the walked
    // path passes PATH_MAX (4096) at the bottom
    const levels = 18;
    for (let i = 0; i <= levels; i++) mkdirSync(join(dir, `real${i}`));
    mkdirSync(join(dir, 'root'));
    symlinkSync(join(dir, 'real0'), join(dir, 'root', long));
    for (let i = 0; i < levels; i++) symlinkSync(join(dir, `real${i + 1}`), join(dir, `real${i}`, long));
    writeFileSync(join(dir, `real${levels}`, 'planted.yaml'), PLANTED);
    writeFileSync(join(dir, 'root', 'ns.yaml'), NAMESPACE);
    const res = await loadManifests([join(dir, 'root')]);
    expect(res.problems).toHaveLength(1);
    expect(res.problems[0]).toMatchObject({
      severity: 'error',
      message: 'cannot read: file name too long',
      noInput: true,
    });
    expect(res.problems[0]!.file.length).toBeGreaterThan(4096);
    expect(res.resources.map((r) => r.name)).toEqual(['shop']);
  });
});

describe('dangling and looping symbolic links in folders', () => {
  it('are each skipped with a warning naming the link; a link to a parent folder is no loop', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    symlinkSync('gone.yaml', join(dir, 'dangling.yaml'));
    symlinkSync('nowhere', join(dir, 'dangling-folder'));
    symlinkSync('self.yaml', join(dir, 'self.yaml'));
    symlinkSync('ping', join(dir, 'pong'));
    symlinkSync('pong', join(dir, 'ping'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    const res = await loadManifests([dir]);
    expect(res.problems.map((p) => `${p.severity}: ${p.file}: ${p.message}`)).toEqual([
      `warning: ${join(dir, 'dangling-folder')}: skipped: symbolic link to nothing (dangling)`,
      `warning: ${join(dir, 'dangling.yaml')}: skipped: symbolic link to nothing (dangling)`,
      `warning: ${join(dir, 'ping')}: skipped: symbolic link to itself (a loop)`,
      `warning: ${join(dir, 'pong')}: skipped: symbolic link to itself (a loop)`,
      `warning: ${join(dir, 'self.yaml')}: skipped: symbolic link to itself (a loop)`,
    ]);
    expect(res.files).toEqual([join(dir, 'planted.yaml')]);
    // as warnings they change no exit code
    const r = await runCli(['analyze', dir]);
    expect(r.code).toBe(79);
    expect(r.stderr).toContain(
      `warning: ${join(dir, 'self.yaml')}: skipped: symbolic link to itself (a loop)\n`,
    );
  });
});

describe('deep folder trees', () => {
  it('1500 nested folders are walked in linear time, with a link to the top still read once', async () => {
    const dir = tmp();
    let deepest = dir;
    for (let i = 0; i < 1500; i++) deepest = join(deepest, 'a');
    mkdirSync(deepest, { recursive: true });
    writeFileSync(join(deepest, 'planted.yaml'), PLANTED);
    symlinkSync(dir, join(deepest, 'top'));
    const started = performance.now();
    const res = await loadManifests([dir]);
    const ms = performance.now() - started;
    expect(res.problems).toEqual([]);
    expect(res.files).toEqual([join(deepest, 'planted.yaml')]);
    // was 42 s: the real path of every folder, each costing a call per level
    expect(ms).toBeLessThan(5000);
  });
});

describe('hidden files and folders, node_modules', () => {
  it('are passed over inside a folder, and read when named on the command line', async () => {
    const dir = tmp();
    for (const sub of ['.github/workflows', 'node_modules/chart', 'k8s/.old'])
      mkdirSync(join(dir, sub), { recursive: true });
    for (const file of [
      '.github/workflows/ci.yaml',
      'node_modules/chart/vs.yaml',
      'k8s/.old/vs.yaml',
      'k8s/.vs.yaml',
    ])
      writeFileSync(join(dir, file), PLANTED);
    writeFileSync(join(dir, 'k8s/vs.yaml'), PLANTED);
    const walked = await loadManifests([dir]);
    expect([walked.files, walked.problems]).toEqual([[join(dir, 'k8s/vs.yaml')], []]);
    const named = await loadManifests([
      join(dir, 'k8s/.old'),
      join(dir, 'k8s/.vs.yaml'),
      join(dir, 'node_modules'),
    ]);
    expect(named.files).toEqual([
      join(dir, 'k8s/.old/vs.yaml'),
      join(dir, 'k8s/.vs.yaml'),
      join(dir, 'node_modules/chart/vs.yaml'),
    ]);
  });
});
