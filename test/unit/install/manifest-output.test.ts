/**
 * `mesh manifest generate -o PATH`. Before, -o always meant a directory: naming an existing file (as one
 * does with istioctl, whose -o writes the manifest to a file) failed with `Error: cannot write the
 * manifest into f.yaml: EEXIST: file already exists, mkdir 'f.yaml'`, exit 1, and a new `out.yaml` became
 * a directory. Now an existing file (or a device) and a new *.yaml/*.yml get the whole manifest, as
 * istioctl writes it (the same text as stdout); a directory still gets one file per component; a path
 * that cannot be either is one line naming it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { ROOT } from '../cli/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'mesh-manifest-out-'));
let manifest = '';

beforeAll(async () => {
  const r = await runCli(['manifest', 'generate']);
  expect(r.code).toBe(0);
  manifest = r.stdout;
});

describe('manifest generate -o', () => {
  it('an existing regular file is replaced by the whole manifest (its mode kept), exit 0, nothing printed', async () => {
    const file = join(tmp, 'existing.yaml');
    writeFileSync(file, 'old: content\n', { mode: 0o640 });
    const r = await runCli(['manifest', 'generate', '-o', file]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe(manifest);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('a new *.yaml or *.yml path is one file, as istioctl writes it', async () => {
    for (const name of ['new.yaml', 'new.YML']) {
      const file = join(tmp, name);
      const r = await runCli(['manifest', 'generate', '-o', file]);
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(statSync(file).isFile()).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(manifest);
    }
  });

  it('-o - is stdout, the same text, and makes no file or directory named "-"', () => {
    // Before: a directory named "-" in the working directory, as istioctl makes it, and nothing printed
    const cwd = mkdtempSync(join(tmpdir(), 'mesh-manifest-dash-'));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/mesh.js'), 'manifest', 'generate', '-o', '-'], {
      cwd,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(manifest);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a directory (existing, new, or a path ending in /) gets one file per component, as before', async () => {
    mkdirSync(join(tmp, 'have'));
    for (const dir of [join(tmp, 'have'), join(tmp, 'made', 'deep'), `${join(tmp, 'slash.yaml')}/`]) {
      const r = await runCli(['manifest', 'generate', '-o', dir]);
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(readdirSync(dir).sort()).toEqual(['Base.yaml', 'IngressGateways.yaml', 'Pilot.yaml']);
    }
  });

  it('a directory of an earlier run: component files this manifest does not have are removed, and said so', async () => {
    // Before: demo's EgressGateways.yaml and IngressGateways.yaml stayed after --set profile=minimal, and
    // kubectl apply -f DIR installed the gateways again
    const dir = join(tmp, 'gitops');
    expect((await runCli(['manifest', 'generate', '--set', 'profile=demo', '-o', dir])).code).toBe(0);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources: []\n');
    expect(readdirSync(dir).sort()).toEqual([
      'Base.yaml',
      'EgressGateways.yaml',
      'IngressGateways.yaml',
      'Pilot.yaml',
      'kustomization.yaml',
    ]);
    const r = await runCli(['manifest', 'generate', '--set', 'profile=minimal', '-o', dir]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `Removed ${join(dir, 'IngressGateways.yaml')}: left from an earlier run, this manifest has no IngressGateways component\n` +
        `Removed ${join(dir, 'EgressGateways.yaml')}: left from an earlier run, this manifest has no EgressGateways component\n`,
    });
    expect(readdirSync(dir).sort()).toEqual(['Base.yaml', 'Pilot.yaml', 'kustomization.yaml']);
  });

  it("a file of a component's name that mesh did not write is named and left alone", async () => {
    const dir = join(tmp, 'own');
    mkdirSync(dir);
    const mine = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: my-gateway-settings}\n';
    writeFileSync(join(dir, 'EgressGateways.yaml'), mine);
    const r = await runCli(['manifest', 'generate', '--set', 'profile=minimal', '-o', dir]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `Warning: ${join(dir, 'EgressGateways.yaml')} was not written by mesh (no app.kubernetes.io/managed-by: mesh label) and is left as it is; this manifest has no EgressGateways component\n`,
    });
    expect(readFileSync(join(dir, 'EgressGateways.yaml'), 'utf8')).toBe(mine);
  });

  it('a file in the way of the directory: one line naming the path, exit 1', async () => {
    const file = join(tmp, 'blocker');
    writeFileSync(file, '');
    const r = await runCli(['manifest', 'generate', '-o', join(file, 'sub')]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot write the manifest into directory ${join(file, 'sub')}: not a directory\n`,
    });
  });

  it('a new *.yaml in a directory that does not exist: one line naming the file, exit 1', async () => {
    const file = join(tmp, 'no-such-dir', 'm.yaml');
    const r = await runCli(['manifest', 'generate', '-o', file]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot write ${file}: no such file or directory\n`,
    });
  });

  it('-o /dev/stdout into a pipe whose reader stops early (| head): quiet, exit 141, as without -o', () => {
    // the built CLI in a shell pipeline (a pipe, as a shell makes it). Before: 'Error: cannot write
    // /dev/stdout: EPIPE: broken pipe, write', exit 1
    const r = spawnSync(
      'bash',
      [
        '-c',
        'node "$1" manifest generate -o /dev/stdout 2>&1 | head -1; echo "exit ${PIPESTATUS[0]}"',
        'sh',
        join(ROOT, 'bin/mesh.js'),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.stdout).toBe('apiVersion: apiextensions.k8s.io/v1\nexit 141\n');
  });
});
