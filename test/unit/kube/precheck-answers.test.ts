/**
 * `mesh precheck` against API servers whose answers it cannot use: every check the server refuses is a
 * × line that says which check it is, and a /version answer without a major/minor version is a failed
 * check saying so (it printed `× Kubernetes undefined.undefined is older than 1.32`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { list, startFakeApiServer, status, type FakeApiServer } from '../../support/fake-api-server.js';

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The lines of one group of precheck's text output, under its header. */
function groupLines(stdout: string, group: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(group);
  expect(start, `group ${group} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 2, end);
}

describe('mesh precheck: a server that answers 404 to everything', () => {
  it('one × per check, no two alike: the two Permissions checks name themselves', async () => {
    const missing = 'the server could not find the requested resource';
    server = await startFakeApiServer(() => status(404, 'NotFound', missing));
    const text = await runCli(['precheck', '--kubeconfig', server.kubeconfig]);
    expect(text.code).toBe(79);
    expect(groupLines(text.stdout, 'Permissions')).toEqual([
      `× cannot check what install needs: ${missing}`,
      `× cannot check the install lock: ${missing}`,
    ]);
    expect(groupLines(text.stdout, 'Kubernetes')).toEqual([`× cannot check: ${missing}`]);

    const json = await runCli(['precheck', '--kubeconfig', server.kubeconfig, '-o', 'json']);
    expect(json.code).toBe(79);
    const { results } = JSON.parse(json.stdout) as { results: Array<Record<string, string>> };
    const failed = results.filter((r) => r.status === 'fail').map((r) => `${r.group}: ${r.message}`);
    expect(failed).toHaveLength(7);
    expect(new Set(failed).size).toBe(failed.length);
  });
});

describe('mesh precheck: the /version answer', () => {
  const withVersion = async (version: unknown) => {
    server = await startFakeApiServer((method, path) =>
      path === '/version' ? { status: 200, body: version } : path.endsWith('s') ? list() : undefined,
    );
    const text = await runCli(['precheck', '--kubeconfig', server.kubeconfig]);
    const json = await runCli(['precheck', '--kubeconfig', server.kubeconfig, '-o', 'json']);
    await server.close();
    server = undefined;
    const { results } = JSON.parse(json.stdout) as { results: Array<Record<string, string>> };
    return { text, kubernetes: results.filter((r) => r.group === 'Kubernetes') };
  };

  it('without major/minor: × cannot check, saying the server did not report its version, never "undefined"', async () => {
    const { text, kubernetes } = await withVersion({});
    expect(text.code).toBe(79);
    expect(text.stdout).not.toContain('undefined');
    expect(groupLines(text.stdout, 'Kubernetes')).toEqual([
      "× cannot check: the API server's /version answer has no major/minor version",
      '    hint: mesh cannot tell whether the cluster runs Kubernetes 1.32 or newer: check its version with kubectl version',
    ]);
    expect(kubernetes).toEqual([
      {
        group: 'Kubernetes',
        status: 'fail',
        message: "cannot check: the API server's /version answer has no major/minor version",
        hint: 'mesh cannot tell whether the cluster runs Kubernetes 1.32 or newer: check its version with kubectl version',
      },
    ]);
  });

  it('an unparsable minor version is the same failure, naming what came', async () => {
    const { kubernetes } = await withVersion({ major: '1', minor: 'latest' });
    expect(kubernetes.map((r) => [r.status, r.message])).toEqual([
      [
        'fail',
        'cannot check: the API server\'s /version answer has no major/minor version (major "1", minor "latest")',
      ],
    ]);
  });

  it('a provider\'s "33+" minor is read as 33; 1.31 is older', async () => {
    const plus = await withVersion({ major: '1', minor: '33+', gitVersion: 'v1.33.2-eks-1234' });
    expect(plus.kubernetes.map((r) => [r.status, r.message])).toEqual([
      ['ok', 'Kubernetes v1.33.2-eks-1234 is supported (1.32 or newer)'],
    ]);
    const old = await withVersion({ major: '1', minor: '31' });
    expect(old.kubernetes.map((r) => [r.status, r.message])).toEqual([
      ['fail', 'Kubernetes 1.31 is older than 1.32'],
    ]);
  });
});
