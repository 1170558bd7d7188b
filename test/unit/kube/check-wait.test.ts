/**
 * `mesh check --wait` against an API server that stops answering, and interrupted by the user. Before:
 * a run again whose requests got no answer held the wait past its end until `--timeout` (`--wait 4s
 * --timeout 20s` ran 22 s and ended with `Error: timed out after 20s … (GET …)`, exit 1), and Ctrl+C or
 * SIGTERM ended mesh with nothing printed. Now the wait ends at its deadline, and an interrupt with a
 * closing line; both print the last complete run's results.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * `mesh check` (no control plane in the store: a × at once), and its run time in seconds from its first
 * request (not counting the time the test runner takes to load mesh's modules the first time).
 */
async function check(...args: string[]) {
  const r = await runCli(['check', '--skip-proxies', ...args, '--kubeconfig', server!.kubeconfig], ENV);
  return { ...r, seconds: (Date.now() - first) / 1000 };
}

/** When the API server got its first request (the wait's clock starts just before). */
let first = 0;

/**
 * An API server that answers the first run's requests, then none: it stops at the first request after a
 * second without any (the pause before the run again), `onStall` called then.
 */
async function stallingAfterFirstRun(onStall?: () => void) {
  let last = 0;
  let stalled = false;
  first = 0;
  server = await startStoreApiServer({
    hang: () => {
      if (!stalled && last > 0 && Date.now() - last >= 1000) {
        stalled = true;
        onStall?.();
      }
      last = Date.now();
      first ||= last;
      return stalled;
    },
  });
}

const failing = (stdout: string) => /^Status: (\d+) problem\(s\) found/m.exec(stdout)?.[1];

describe('check --wait', () => {
  it('the API server stops answering during the wait: it ends at --wait 4s (not --timeout 20s), exit 79, the last complete run on stdout', async () => {
    await stallingAfterFirstRun();
    const r = await check('--wait', '4s', '--timeout', '20s');
    expect(r.code, r.stderr).toBe(79);
    expect(r.seconds).toBeGreaterThanOrEqual(3.8);
    expect(r.seconds).toBeLessThan(5.5);
    expect(r.stderr).not.toContain('Error:');
    const n = failing(r.stdout);
    expect(n, r.stdout).toBeDefined();
    expect(r.stdout).toContain('× no control plane installed by mesh in this cluster');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`✘ ${n} check(s) still failing after 4s`);
  }, 20_000);

  for (const [signal, code, name] of [
    ['SIGINT', 130, 'Ctrl+C'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const)
    it(`${name} while a run again gets no answer: one closing line on stderr, the last complete run on stdout, exit ${code}`, async () => {
      let sentAt = 0;
      await stallingAfterFirstRun(() =>
        setTimeout(() => {
          sentAt = Date.now();
          process.emit(signal, signal);
        }, 300),
      );
      const r = await check('--wait', '30s', '--timeout', '20s');
      expect(r.code, r.stderr).toBe(code);
      expect((Date.now() - sentAt) / 1000).toBeLessThan(1.5);
      expect(r.stderr).not.toContain('Error:');
      const n = failing(r.stdout);
      expect(n, r.stdout).toBeDefined();
      expect(r.stdout).toContain('× no control plane installed by mesh in this cluster');
      expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(
        new RegExp(
          `^✘ interrupted \\(${name.replace('+', '\\+')}\\) while waiting for the checks to pass: ${n} check\\(s\\) failing in the last complete run \\(after \\d+s\\)$`,
        ),
      );
    }, 20_000);
});
