// The built CLI (dist/mesh.cjs, loaded by bin/mesh.js under vm.Script, with the Kubernetes client
// required from node_modules) against the real API server: the same answers as the source.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';

const testbed = inject('testbed');
const ROOT = join(import.meta.dirname, '../..');

/** The report's own timestamp differs between two runs. */
const stable = (r: { code: number | null; stdout: string; stderr: string }) => ({
  ...r,
  stdout: r.stdout.replace(/"now": "[^"]*"/, '"now": "…"'),
});

function bundled(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/mesh.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled CLI against the real API server', () => {
  it('lists proxies for certs like the source does', async () => {
    for (const args of [
      ['certs', '-A', '--kubeconfig', testbed.kubeconfig],
      ['certs', '-n', 'kube-system', '--kubeconfig', testbed.kubeconfig, '-o', 'json'],
      ['certs', '-A', '--kubeconfig', testbed.restrictedKubeconfig],
    ]) {
      const source = await runCli(args);
      expect(stable(bundled(args)), args.join(' ')).toEqual(stable(source));
    }
  });
});
