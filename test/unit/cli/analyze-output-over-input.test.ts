/**
 * Where analyze writes files (--report, --write-baseline). One that names a file analyzed (a typo) would
 * replace the user's manifests with a report: refused (exit 64) before anything is written, while an earlier
 * report in the folder analyzed is no manifest and is replaced as usual. A baseline that cannot be written
 * is one line, as a report is.
 */
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mesh, ROOT } from './helpers.js';

/** A copy of the sample repository in a temporary folder. */
function sampleRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-out-in-'));
  cpSync(join(ROOT, 'test/fixtures/ci/repo'), dir, { recursive: true });
  return dir;
}

describe('analyze refuses to write a report or baseline over a file it analyzes', () => {
  it('--report onto an input file, also through another spelling or a symlink: exit 64, nothing written', () => {
    const repo = sampleRepo();
    const shop = join(repo, 'k8s/shop.yaml');
    const before = readFileSync(shop, 'utf8');
    symlinkSync(shop, join(repo, 'link.yaml'));
    for (const [target, named] of [
      [shop, shop],
      [join(repo, 'k8s/../k8s/shop.yaml'), join(repo, 'k8s/../k8s/shop.yaml')],
      [join(repo, 'link.yaml'), join(repo, 'link.yaml')],
    ]) {
      const sarif = join(repo, 'out.sarif');
      const r = mesh([
        'analyze',
        join(repo, 'k8s'),
        '--report',
        `sarif:${sarif}`,
        '--report',
        `json:${target}`,
      ]);
      expect([r.code, r.stdout, r.stderr], target).toEqual([
        64,
        '',
        `Error: --report json: ${named} is an input that holds Kubernetes objects: the report would replace it\nHint: name another file for the report\n`,
      ]);
      expect(readFileSync(shop, 'utf8')).toBe(before);
      expect(() => readFileSync(sarif)).toThrow(/ENOENT/);
    }
  });

  it('--write-baseline onto an input file: exit 64, the file unchanged', () => {
    const repo = sampleRepo();
    const shop = join(repo, 'k8s/shop.yaml');
    const before = readFileSync(shop, 'utf8');
    const r = mesh(['analyze', repo, '--write-baseline', shop]);
    expect([r.code, r.stderr]).toEqual([
      64,
      `Error: --write-baseline: ${shop} is an input that holds Kubernetes objects: the baseline would replace it\nHint: name another file for the baseline\n`,
    ]);
    expect(readFileSync(shop, 'utf8')).toBe(before);
  });

  it('an earlier report in the folder analyzed is replaced, and the next run passes over it', () => {
    const repo = sampleRepo();
    const report = join(repo, 'mesh-report.json');
    const first = mesh(['analyze', repo, '--report', `json:${report}`]);
    const again = mesh(['analyze', repo, '--report', `json:${report}`]);
    expect([first.code, again.code]).toEqual([79, 79]);
    expect(again.stderr).not.toContain('error:');
    expect(JSON.parse(readFileSync(report, 'utf8')).summary).toEqual(
      JSON.parse(mesh(['analyze', repo, '-o', 'json']).stdout).summary,
    );
  });

  it('a baseline that cannot be written is one line naming the flag and the file, exit 1', () => {
    const repo = sampleRepo();
    for (const [target, why] of [
      [join(repo, 'no/such/dir/b.json'), 'no such file or directory'],
      [repo, 'is a directory'],
    ]) {
      const r = mesh(['analyze', repo, '--write-baseline', target!]);
      expect([r.code, r.stderr], target).toEqual([
        1,
        `Error: --write-baseline: cannot write ${target}: ${why}\n`,
      ]);
    }
  });
});
