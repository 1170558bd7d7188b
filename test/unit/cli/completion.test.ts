/**
 * The bash completion script, run by bash itself: COMP_WORDS/COMP_CWORD are set as bash sets them on
 * <TAB>, `_mesh` is called, and COMPREPLY is what the user would be offered.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mesh, ROOT } from './helpers.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-completion-'));
const bin = join(dir, 'bin');
const script = join(dir, 'mesh.bash');

/**
 * What bash offers for the command line `words` (the last word is the one being completed), sorted. Run
 * asynchronously: the stand-in API server answering pod lists lives in this process.
 */
async function complete(words: string[], cwd = ROOT): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const stdout = await run(
    'bash',
    [
      '-c',
      `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _mesh; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    cwd,
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

/** Runs a command with `mesh` on the PATH; its stdout, after checking that it exits 0 and says nothing on stderr. */
async function run(cmd: string, args: string[], cwd = ROOT): Promise<string> {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/**
 * What `mesh __complete words` (asked by the zsh and fish scripts on <TAB>) offers for the command line
 * `words` (the words after `mesh`, the last one being completed): the values that start with that word,
 * sorted, each value's description, and whether file names fit there too.
 */
async function query(words: string[]) {
  const stdout = await run(process.execPath, [
    join(ROOT, 'bin/mesh.js'),
    '__complete',
    'words',
    '--',
    ...words,
  ]);
  const lines = stdout.split('\n').filter((l) => l !== '');
  const offers = lines.filter((l) => !l.startsWith(':')).map((l) => l.split('\t'));
  const current = words[words.length - 1] ?? '';
  return {
    values: [...new Set(offers.map(([v]) => v!).filter((v) => v.startsWith(current)))].sort(),
    descriptions: new Map(offers.map(([v, d]) => [v!, d ?? ''])),
    files: lines.includes(':files'),
  };
}

let kube: FakeKube;

beforeAll(async () => {
  const r = mesh(['completion', 'bash']);
  expect(r.code).toBe(0);
  writeFileSync(script, r.stdout);
  // `mesh` on the PATH, as after an install (the script asks it for pod names).
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'mesh'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/mesh.js')}" "$@"\n`,
  );
  chmodSync(join(bin, 'mesh'), 0o755);
  kube = await startFakeKube({
    objects: [
      fakePod('reviews-v1-7d9f', 'bookinfo'),
      fakePod('ratings-v1-55c8', 'bookinfo'),
      fakePod('mysql-0', 'bookinfo', { proxy: false }),
      fakePod('frontend-6f7b', 'shop'),
    ],
  });
});
afterAll(() => kube.close());

describe('bash completion', () => {
  it('completes commands, and the subcommands and aliases of proxy-config (pc) at any depth', async () => {
    expect(await complete(['mesh', ''])).toEqual(
      expect.arrayContaining(['analyze', 'proxy-config', 'pc', 'authz', 'certs', 'version', 'completion']),
    );
    expect(await complete(['mesh', 'pro'])).toEqual(['proxy-config', 'proxy-status']);
    expect(await complete(['mesh', 'p'])).toEqual(expect.arrayContaining(['pc', 'proxy-config', 'ps']));
    const pc = await complete(['mesh', 'pc', '']);
    expect(pc).toEqual(
      expect.arrayContaining(['cluster', 'clusters', 'c', 'listener', 'endpoint', 'all', 'log']),
    );
    expect(await complete(['mesh', 'pc', 'li'])).toEqual(['listener', 'listeners']);
    expect(await complete(['mesh', 'authz', ''])).toEqual(['check', 'test']);
  });

  it('completes the flags of the command at hand, through aliases and flags with values', async () => {
    expect(await complete(['mesh', 'pc', 'clusters', '--f'])).toEqual(['--file', '--fqdn']);
    expect(await complete(['mesh', 'pc', 'c', '-n', 'shop', '--dir'])).toEqual(['--direction']);
    expect(await complete(['mesh', 'analyze', '--failure'])).toEqual(['--failure-threshold']);
  });

  it('completes flag values: -o formats per command, levels, shells', async () => {
    expect(await complete(['mesh', 'analyze', '-o', ''])).toEqual([
      'codeclimate',
      'github',
      'json',
      'junit',
      'log',
      'sarif',
      'yaml',
    ]);
    expect(await complete(['mesh', 'analyze', './x', '--output', 'j'])).toEqual(['json', 'junit']);
    expect(await complete(['mesh', 'pc', 'cluster', '-o', ''])).toEqual(['json', 'short', 'yaml']);
    expect(await complete(['mesh', 'analyze', '--failure-threshold', 'W'])).toEqual(['Warning']);
    expect(await complete(['mesh', 'completion', ''])).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes files where a command or flag takes one', async () => {
    expect(await complete(['mesh', 'analyze', 'exa'])).toEqual(['examples']);
    expect(await complete(['mesh', 'pc', 'all', '-f', 'package'])).toEqual([
      'package-lock.json',
      'package.json',
    ]);
    expect(await complete(['mesh', 'analyze', '--baseline', 'tsconfig.b'])).toEqual(['tsconfig.build.json']);
  });

  it('completes the pods with a proxy from the cluster, in the namespace of -n or of the context', async () => {
    const config = kube.kubeconfig({ namespace: 'shop' });
    expect(await complete(['mesh', 'pc', 'cluster', '--kubeconfig', config, '-n', 'bookinfo', ''])).toEqual(
      expect.arrayContaining(['reviews-v1-7d9f', 'ratings-v1-55c8']),
    );
    expect(await complete(['mesh', 'pc', 'cluster', '--kubeconfig', config, '-n', 'bookinfo', 'r'])).toEqual([
      'ratings-v1-55c8',
      'reviews-v1-7d9f',
    ]);
    // No proxy, no offer; the context's namespace when -n is not given.
    expect(await complete(['mesh', 'pc', 'cluster', '--kubeconfig', config, '-n', 'bookinfo', 'my'])).toEqual(
      [],
    );
    expect(await complete(['mesh', 'pc', 'listener', '--kubeconfig', config, 'f'])).toEqual([
      'frontend-6f7b',
    ]);
  });

  it('offers no pod, and prints nothing, when the cluster cannot be reached', async () => {
    const down = await startFakeKube();
    const config = down.kubeconfig();
    await down.close();
    expect(await complete(['mesh', 'pc', 'cluster', '--kubeconfig', config, 'r'])).toEqual([]);
  });
});

describe('zsh and fish completion (mesh __complete words)', () => {
  it('offers what the bash script offers, at any depth, through aliases and flags with values', async () => {
    const lines = [
      [''],
      ['pro'],
      ['pc', ''],
      ['pc', 'li'],
      ['authz', ''],
      ['pc', 'clusters', '--f'],
      ['pc', 'c', '-n', 'shop', '--dir'],
      ['analyze', '--failure'],
      ['analyze', '-o', ''],
      ['analyze', './x', '--output', 'j'],
      ['pc', 'cluster', '-o', ''],
      ['analyze', '--failure-threshold', 'W'],
      ['completion', ''],
      ['ps', '--'],
    ];
    for (const words of lines) {
      const bash = await complete(['mesh', ...words]);
      const { values, files } = await query(words);
      expect(values, words.join(' ')).toEqual(bash);
      expect(files, words.join(' ')).toBe(false);
    }
  });

  it('shows what each subcommand and flag is for', async () => {
    const pc = await query(['pc', '']);
    expect(pc.values).toEqual(expect.arrayContaining(['cluster', 'clusters', 'c', 'listener', 'all', 'log']));
    expect(pc.descriptions.get('cluster')).toMatch(/^Clusters \(upstreams\) of a proxy/);
    expect(pc.descriptions.get('c')).toBe(pc.descriptions.get('cluster'));
    const flags = await query(['analyze', '--failure']);
    expect(flags.descriptions.get('--failure-threshold')).toMatch(/exit code 79/);
  });

  it('offers no hidden command or option', async () => {
    expect((await query([''])).values).not.toContain('__complete');
    expect((await query(['analyze', '--'])).values).toContain('--use-kube');
    expect((await query(['analyze', '--no-u'])).values).toEqual([]);
    expect(await complete(['mesh', 'analyze', '--no-u'])).toEqual([]);
  });

  it('says where file names fit: file arguments and flags that take a file', async () => {
    expect(await query(['analyze', 'exa'])).toMatchObject({ values: [], files: true });
    expect(await query(['pc', 'all', '-f', 'package'])).toMatchObject({ values: [], files: true });
    expect((await query(['analyze', '--baseline', ''])).files).toBe(true);
    expect((await query(['pc', ''])).files).toBe(false);
  });

  it('completes the value of a flag written in one word', async () => {
    expect((await query(['analyze', '--output=j'])).values).toEqual(['--output=json', '--output=junit']);
    expect((await query(['pc', 'cluster', '-o', 'y'])).values).toEqual(['yaml']);
  });

  it('offers the pods with a proxy from the namespace of -n, or of the context', async () => {
    const config = kube.kubeconfig({ namespace: 'shop' });
    const pods = await query(['pc', 'cluster', '--kubeconfig', config, '-n', 'bookinfo', '']);
    expect(pods.values).toEqual(expect.arrayContaining(['reviews-v1-7d9f', 'ratings-v1-55c8']));
    expect(pods.values).not.toContain('mysql-0');
    expect(pods.descriptions.get('reviews-v1-7d9f')).toBe('pod');
    expect((await query(['pc', 'listener', '--kubeconfig', config, 'f'])).values).toEqual(['frontend-6f7b']);
    expect((await query(['pc', 'listener', '-c', config, 'f'])).values).toEqual(['frontend-6f7b']);
    const down = await startFakeKube();
    const unreachable = down.kubeconfig();
    await down.close();
    expect((await query(['pc', 'cluster', '--kubeconfig', unreachable, 'r'])).values).toEqual([]);
  });

  it('installs as the shells expect: autoloaded or sourced in zsh, a function in fish', () => {
    const zsh = mesh(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef mesh kubectl-mesh');
    expect(zsh.stdout).toContain('__complete words -- "${(@)words[2,CURRENT]}"');
    // From $fpath the file is the body of _mesh and must complete on the first <TAB>, too.
    expect(
      zsh.stdout.endsWith(
        [
          'if [[ "${funcstack[1]}" == _mesh ]]; then',
          '  _mesh "$@"',
          'else',
          '  compdef _mesh mesh kubectl-mesh',
          'fi',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
    const fish = mesh(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain("complete -c mesh -f -a '(__mesh_complete)'");
    expect(fish.stdout).toContain('__complete words -- $tokens $current');
  });
});
