// Every command that reads the cluster, against the testbed's real API server with a token it does not
// accept (an expired or revoked one): one error line naming the server and the context, and exit 1.
// precheck reported six '× cannot check: Unauthorized' results with the hint 'the user lacks read access'
// (exit 79), and check, install and uninstall ended with a bare 'Error: Unauthorized'.
// Also the note of `mesh analyze` on the cluster without -n about findings outside the context's namespace.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { clientsFor, uniqueName } from './support/kube.js';

const testbed = inject('testbed');
const dir = mkdtempSync(join(tmpdir(), 'mesh-e2e-creds-'));
const badToken = join(dir, 'bad-token.kubeconfig');

beforeAll(() => {
  const text = readFileSync(testbed.kubeconfig, 'utf8');
  expect(text).toMatch(/token: \S+/);
  writeFileSync(badToken, text.replace(/token: \S+/, 'token: not-a-token-the-server-knows'));
});

const commands: string[][] = [
  ['analyze'],
  ['analyze', '-A'],
  ['proxy-status'],
  ['certs', '-A'],
  ['drift', '-n', 'default'],
  ['proxy-config', 'cluster', 'web-0.default'],
  ['authz', 'check', 'web-0.default'],
  [
    'kube-inject',
    '-f',
    'examples/bookinfo/20-deployments.yaml',
    '--injectConfigMapName',
    'istio-sidecar-injector',
  ],
  ['precheck'],
  ['check'],
  ['install', '--dry-run'],
  ['uninstall', '--dry-run'],
];

describe('a token the API server rejects (401)', () => {
  it.each(commands)('mesh %j: one error naming the server and context, exit 1', async (...args) => {
    const r = await runCli([...args, '--kubeconfig', badToken]);
    expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('Context: '))).toEqual([
      `Error: the Kubernetes API server ${testbed.server} rejected the credentials of context "admin@testbed" (401 Unauthorized)`,
      'Hint: the token or client certificate has probably expired: log in again and retry',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });
});

describe('mesh analyze on the cluster without -n', () => {
  it("names the context's namespace in the note about findings it does not show, and -A as the way to see them", async () => {
    // A namespace without an injection label: IST0102 on a Namespace outside the context's namespace.
    const ns = uniqueName('creds-note');
    await clientsFor(testbed.kubeconfig).core.createNamespace({ body: { metadata: { name: ns } } });
    const r = await runCli(['analyze', '--kubeconfig', testbed.kubeconfig]);
    expect(r.stderr).toMatch(
      /^note: \d+ finding\(s\) on objects outside namespace default not shown \(-A shows them\)$/m,
    );
    const all = await runCli(['analyze', '-A', '--kubeconfig', testbed.kubeconfig]);
    expect(all.stdout).toContain(`(Namespace ${ns})`);
  });
});
