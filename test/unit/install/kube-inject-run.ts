// Shared by the kube-inject tests: running it on the bookinfo Deployments and reading its output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../support/cli.js';

export const DEPLOYMENTS = 'examples/bookinfo/20-deployments.yaml';

/** A temp dir and a writer of files in it (returns the path). */
export function scratch(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  return { dir, file };
}

/** The pod specs of every injected Deployment in kube-inject's output. */
export const pods = (out: string) =>
  parseAllDocuments(out).map((d) => (d.toJS() as any).spec.template.spec as Record<string, any>);
export const proxyOf = (pod: any) => pod.containers.find((c: any) => c.name === 'istio-proxy');
export const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

/** kube-inject of the bookinfo Deployments with `extra` flags; must succeed silently. Its stdout. */
export async function injectText(...extra: string[]): Promise<string> {
  const r = await runCli(['kube-inject', '-f', DEPLOYMENTS, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
