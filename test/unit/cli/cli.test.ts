import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the benchmarks
import { generateDump } from '../../../bench/lib/envoy-dump.mjs';
import { runCli } from '../../support/cli.js';
import { ROOT, mesh } from './helpers.js';

describe('mesh (CLI basics)', () => {
  it('shows help listing the commands', () => {
    const r = mesh(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/analyze/);
    expect(r.stdout).toMatch(/version/);
    expect(r.stdout).toMatch(/completion/);
  });

  it('prints the client version, also as JSON', () => {
    expect(mesh(['version', '--remote=false']).stdout).toMatch(/^client version: \d+\.\d+\.\d+\n$/);
    expect(
      JSON.parse(mesh(['version', '--remote=false', '-o', 'json']).stdout).clientVersion.version,
    ).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("takes istioctl's --short: -s and --short=true are the short text, --short=false everything", () => {
    const short = mesh(['version', '--remote=false']).stdout;
    for (const flag of ['-s', '--short', '--short=true'])
      expect(mesh(['version', '--remote=false', flag]).stdout, flag).toBe(short);
    expect(mesh(['version', '--remote=false', '--short=false']).stdout).toBe(
      mesh(['version', '--remote=false', '-o', 'yaml']).stdout,
    );
    const bad = mesh(['version', '--remote=false', '--short=maybe']);
    expect([bad.code, bad.stderr]).toEqual([
      64,
      'Error: invalid argument "maybe" for "--short" flag: expected true or false\n',
    ]);
  });

  it('prints completion scripts for bash, zsh and fish', () => {
    expect(mesh(['completion', 'bash']).stdout).toContain('complete -o filenames -F _mesh mesh kubectl-mesh');
    expect(mesh(['completion', 'zsh']).stdout).toContain('#compdef mesh');
    expect(mesh(['completion', 'fish']).stdout).toContain("complete -c mesh -f -a '(__mesh_complete)'");
    expect(mesh(['completion', 'bash']).stdout).toContain('--failure-threshold');
    expect(mesh(['completion', 'powershell']).code).toBe(64);
  });

  it('reports an expected error in one line, also with --verbose (no stack trace)', () => {
    const r = mesh(['proxy-config', 'listener', '--file', '-', '--verbose'], { input: '{"configs": [' });
    expect(r.code).toBe(65);
    expect(r.stderr.trim().split('\n')).toEqual([
      'Error: error unmarshalling config dump response from Envoy: stdin: unexpected end of JSON input (truncated after 13 bytes)',
    ]);
  });

  it('without a kubeconfig, hints only at ways without a cluster that the command has', () => {
    const env = { KUBECONFIG: '', HOME: mkdtempSync(join(tmpdir(), 'mesh-home-')) };
    const hint = (args: string[]) => {
      const r = mesh(args, { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^Error: no kubeconfig found /);
      return r.stderr.split('\n')[1];
    };
    // these have neither --admin-url nor --file (the hint used to offer both everywhere)
    for (const args of [['proxy-status'], ['check'], ['install', '--dry-run']])
      expect(hint(args), args.join(' ')).toBe('Hint: pass --kubeconfig or set KUBECONFIG');
    expect(hint(['analyze'])).toBe(
      'Hint: pass --kubeconfig or set KUBECONFIG; name files or folders to analyze them without a cluster',
    );
    const pc = 'Hint: pass --kubeconfig or set KUBECONFIG; --file or --admin-url work without a cluster';
    expect(hint(['pc', 'cluster', 'web-0.shop'])).toBe(pc);
    expect(hint(['authz', 'check', 'web-0.shop'])).toBe(pc);
    expect(hint(['pc', 'log', 'web-0.shop'])).toContain('; --admin-url works without a cluster');
    expect(hint(['pc', 'diff', 'web-0.shop', 'web-1.shop'])).toContain(
      '; a config dump file (./dump.json) or an admin URL (http://…) works without a cluster',
    );
    expect(hint(['certs'])).toContain('; --admin-url or -f work without a cluster');
    expect(hint(['drift'])).toContain('; -f or --csds work without a cluster');
  });

  it('exits 64 on an unknown command or flag', () => {
    expect(mesh(['frobnicate']).code).toBe(64);
    expect(mesh(['analyze', '--frobnicate']).code).toBe(64);
  });

  it('saves a code cache on the first run of a command group and uses it on the next, with the same result', () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'mesh-cli-cache-'));
    try {
      const env = { MESH_CACHE_DIR: cacheHome };
      const args = ['analyze', 'examples/', '-o', 'json'];
      const first = mesh(args, { env });
      const files = readdirSync(join(cacheHome, 'code-cache')).sort();
      expect(files).toEqual([
        expect.stringMatching(/^mesh-[0-9a-f]{16}-analyze-[0-9a-f]{16}\.cache$/),
        expect.stringMatching(/^mesh-[0-9a-f]{16}-analyze-[0-9a-f]{16}\.cache\.ms$/),
      ]);
      // each group in its own process, as bin/mesh.js loads it
      const script = `const c = require(${JSON.stringify(join(ROOT, 'dist/boot/code-cache.cjs'))});
        process.stdout.write(c.loadBundle(${JSON.stringify(join(ROOT, 'dist/mesh.cjs'))},
          { cacheDir: c.defaultCacheDir(), group: 'analyze' }).cache);`;
      const load = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(load.stdout).toBe('used');
      const second = mesh(args, { env });
      const uncached = mesh(args, { env: { ...env, MESH_NO_CODE_CACHE: '1' } });
      expect(first.code).toBe(79);
      expect(second).toEqual(first);
      expect(uncached).toEqual(first);
      expect(readdirSync(join(cacheHome, 'code-cache')).sort()).toEqual(files);
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
  });

  it('writes a large output through a pipe completely before it exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
    try {
      const dump = join(dir, 'dump.json');
      generateDump(dump, 400);
      const piped = mesh(['pc', 'all', '--file', dump]);
      const inProcess = await runCli(['pc', 'all', '--file', dump]);
      expect(piped.code).toBe(0);
      expect(piped.stdout.length).toBeGreaterThan(400_000);
      expect(piped.stdout).toBe(inProcess.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends quietly when the reader closes the pipe early (`mesh … | head`)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
    try {
      const dump = join(dir, 'dump.json');
      generateDump(dump, 400);
      const child = spawn(process.execPath, [join(ROOT, 'bin/mesh.js'), 'pc', 'all', '--file', dump]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Like `head -1`: read the first chunk, then close the pipe (the output is far larger than a pipe holds).
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('behaves like the source for every offline command (the bundle runs under vm.Script)', async () => {
    const proxy = join(ROOT, '../shared/conformance/istioctl-proxy/istioctl');
    const sidecar = join(proxy, 'pkg/proxyconfig/testdata/config_dump.json');
    const authzDump = join(proxy, 'pkg/authz/testdata/configdump.yaml');
    const secrets = join(proxy, 'pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json');
    const authz = join(ROOT, 'test/fixtures/authz');
    const runs = [
      ['analyze', 'examples/', '-o', 'sarif'],
      ['analyze', 'examples/', '-o', 'github'],
      ...['cluster', 'listener', 'route', 'endpoint', 'secret', 'bootstrap', 'ecds', 'all'].map((sub) => [
        'pc',
        sub,
        '-f',
        sidecar,
      ]),
      ['pc', 'all', '-f', sidecar, '-o', 'yaml'],
      ['pc', 'diff', sidecar, sidecar],
      ['pc', 'rootca-compare', secrets, secrets],
      ['authz', 'check', '-f', authzDump],
      ['authz', 'test', '-f', authz, '--cases', join(authz, 'cases.yaml')],
      ['completion', 'bash'],
    ];
    for (const args of runs) {
      const bundled = mesh(args);
      const source = await runCli(args);
      expect(bundled, args.join(' ')).toEqual(source);
    }
  });
});

describe("pflag's = forms: --flag=true|false on every boolean flag, -x=value on every short flag", () => {
  it('analyze --color=false (as istioctl documents it) and --color=true, -v=true and -v=false', async () => {
    const on = await runCli(['analyze', '--color=true', 'examples/']);
    const off = await runCli(['analyze', '--color=false', 'examples/']);
    expect(on.code).toBe(79);
    expect(on.stdout).toContain('\u001b[');
    expect(off.code).toBe(79);
    expect(off.stdout).not.toContain('\u001b[');
    expect(off.stdout).toBe((await runCli(['analyze', '--no-color', 'examples/'])).stdout);
    expect((await runCli(['analyze', '-v=true', 'examples/'])).stderr).toContain('Executed analyzers:');
    expect((await runCli(['analyze', '-v=false', 'examples/'])).stderr).not.toContain('Executed analyzers:');
  });

  it('refuses other values (exit 64), and leaves arguments after -- alone', async () => {
    for (const [args, flag] of [
      [['analyze', '--color=yes', 'examples/'], '--color'],
      [['install', '--dry-run=maybe'], '--dry-run'],
      [['pc', 'listener', '--verbose=2'], '--verbose'],
    ] as const) {
      const r = await runCli([...args]);
      expect([r.code, r.stderr.split('\n')[0]], args.join(' ')).toEqual([
        64,
        `Error: invalid argument "${args.find((a) => a.startsWith(flag))!.split('=')[1]}" for "${flag}" flag: expected true or false`,
      ]);
    }
    const after = await runCli(['analyze', 'examples/', '--', '--color=false']);
    expect(after.stderr).toMatch(/^error: --color=false: /m);
  });

  it("reads a short flag's value after = as pflag does: -n=default, -o=json, -f=dump.json", async () => {
    const dump = '../shared/conformance/istioctl-proxy/istioctl/pkg/proxyconfig/testdata/config_dump.json';
    for (const [eq, spaced] of [
      [
        ['analyze', '-n=default', 'examples/'],
        ['analyze', '-n', 'default', 'examples/'],
      ],
      [
        ['analyze', '-o=json', 'examples/'],
        ['analyze', '-o', 'json', 'examples/'],
      ],
      [
        ['pc', 'cluster', `-f=${dump}`],
        ['pc', 'cluster', '-f', dump],
      ],
    ]) {
      const [a, b] = await Promise.all([runCli(eq!), runCli(spaced!)]);
      expect(a.stderr, eq!.join(' ')).toBe(b.stderr);
      expect([a.code, a.stdout], eq!.join(' ')).toEqual([b.code, b.stdout]);
      expect((a.stdout + a.stderr).length, eq!.join(' ')).toBeGreaterThan(40);
    }
  });
});
