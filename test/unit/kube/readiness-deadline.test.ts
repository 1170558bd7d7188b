/**
 * A readiness wait ends at its own deadline (`install --readiness-timeout`, `uninstall --wait`), also
 * when a GET it sends gets no answer: each request of the wait is cut at the time left on it. Before,
 * such a GET kept its full per-request `--timeout` (30 s), so `--readiness-timeout 2s` ran for 30 s and
 * ended with the API server's timeout instead of the readiness error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const ISTIOD = '/apis/apps/v1/namespaces/istio-system/deployments/istiod';

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', server!.kubeconfig], ENV);

/** Runs `mesh …` and how long it took, in seconds. */
async function timed(...args: string[]) {
  const t0 = Date.now();
  const r = await mesh(...args);
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

describe('a readiness GET that never gets an answer', () => {
  it('install --readiness-timeout 2s ends after 2s with the readiness error (not after --timeout 30s)', async () => {
    // istiod's GETs are answered until it is applied; from then on (the readiness wait) they hang
    server = await startStoreApiServer({
      hang: (req) => req === `GET ${ISTIOD}` && !!server?.get('deployments', 'istio-system', 'istiod'),
    });
    const r = await timed('install', '-y', '--set', 'profile=minimal', '--readiness-timeout', '2s');
    expect(r.code, r.stderr).toBe(1);
    expect(r.seconds).toBeGreaterThanOrEqual(2);
    expect(r.seconds).toBeLessThan(10);
    const error = r.stderr.split('\n').find((l) => l.startsWith('Error: '));
    expect(error).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod is not ready after 2s: the Kubernetes API server http://127\\.0\\.0\\.1:\\d+ did not answer GET ${ISTIOD} within the wait \\(already applied \\d+ object\\(s\\): .*Pilot (\\d+)/\\1 applied\\)$`,
      ),
    );
    expect(r.stderr).toContain('Applied before the failure:');
  });

  it('uninstall --wait 2s ends after 2s naming the object it could not see gone (not after --timeout 30s)', async () => {
    // istiod's GETs hang once it has been deleted (the wait until it is gone)
    let deleted = false;
    server = await startStoreApiServer({
      hang: (req) => (deleted ||= req === `DELETE ${ISTIOD}`) && req === `GET ${ISTIOD}`,
    });
    expect((await mesh('install', '-y', '--set', 'profile=minimal')).code).toBe(0);
    const r = await timed('uninstall', '-y', '--wait', '2s');
    expect(r.code, r.stderr).toBe(1);
    expect(r.seconds).toBeGreaterThanOrEqual(2);
    expect(r.seconds).toBeLessThan(10);
    expect(r.stderr.split('\n').find((l) => l.startsWith('Error: '))).toMatch(
      new RegExp(
        `^Error: 1 deleted object\\(s\\) still there after 2s: Deployment/istio-system/istiod \\(the Kubernetes API server http://127\\.0\\.0\\.1:\\d+ did not answer GET ${ISTIOD} within the wait\\)$`,
      ),
    );
  });
});
