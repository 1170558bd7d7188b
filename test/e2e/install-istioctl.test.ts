// Differential test: `mesh manifest generate` next to the real `istioctl manifest generate` (built by the
// testbed) for the default profile. The same objects by kind and name, in the same kind order, with the
// differences README lists ("Compared with istioctl manifest generate"); and istioctl analyze accepts ours.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../support/cli.js';

const istioctl = join(inject('testbed').binDir, 'istioctl');

const refs = (yaml: string) =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS())
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);

describe('mesh manifest generate against istioctl manifest generate (default profile)', () => {
  it('renders the same kinds and names in the same order, but for the documented differences', async () => {
    // istioctl's manifest is over 1 MiB, spawnSync's default output limit (it kills the child past it)
    const theirs = spawnSync(istioctl, ['manifest', 'generate'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(theirs.status, `${theirs.error ?? ''} ${theirs.stderr}`).toBe(0);
    const ours = await runCli(['manifest', 'generate']);
    expect(ours.code).toBe(0);
    const [a, b] = [refs(theirs.stdout), refs(ours.stdout)];
    // Documented: istioctl's debugging copy of the Helm values; mesh creates the install namespace itself.
    expect(a.filter((r) => !b.includes(r))).toEqual(['ConfigMap/istio-system/values']);
    expect(b.filter((r) => !a.includes(r))).toEqual(['Namespace/istio-system']);
    const common = (l: string[], other: string[]) => l.filter((r) => other.includes(r));
    expect(common(b, a)).toEqual(common(a, b));
  });

  it('istioctl analyze finds nothing wrong in our manifest', async () => {
    const ours = await runCli(['manifest', 'generate']);
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-manifest-')), 'manifest.yaml');
    writeFileSync(file, ours.stdout);
    const run = spawnSync(istioctl, ['analyze', '--use-kube=false', file], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stderr + run.stdout).toContain('No validation issues found');
  });
});
