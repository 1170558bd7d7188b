/**
 * `mesh uninstall` stopped by a DELETE the server refuses (here a 503) says what it had already deleted,
 * as install says what it had applied: the error counts them (`2 of 5 object(s) deleted; the others are
 * still there`) and stderr lists them (`Deleted before the failure:`). Before, it printed only the
 * server's error, so the user could not tell which objects were gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { FIELD_MANAGER } from '../../../src/kube/installer.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { DeleteFailed, deleteObjects } from '../../../src/kube/installer.js';
import type { K8sObject } from '../../../src/install/render.js';
import { runCli } from '../../support/cli.js';
import { list, startFakeApiServer, status, type FakeApiServer } from '../../support/fake-api-server.js';

const UNAVAILABLE = 'the server is currently unable to handle the request';

/** A ConfigMap of revision default's Pilot, as the API server lists it once mesh has applied it. */
const configMap = (name: string): K8sObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'istio-system',
      uid: `uid-${name}`,
      labels: {
        'app.kubernetes.io/managed-by': 'mesh',
        'operator.istio.io/component': 'Pilot',
        'istio.io/rev': 'default',
      },
      managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply' }],
    },
  }) as any;

/**
 * A server holding `names` as ConfigMaps mesh installed, whose `failAt`-th DELETE (counting from 1)
 * gets a 503; every DELETE and its status are recorded in `deletes`.
 */
async function serverFailingDelete(names: string[], failAt: number) {
  const deletes: Array<{ name: string; status: number }> = [];
  const server = await startFakeApiServer((method, path) => {
    if (method === 'DELETE') {
      const name = path.split('/').pop()!;
      const answer =
        deletes.length + 1 === failAt
          ? status(503, 'ServiceUnavailable', UNAVAILABLE)
          : { status: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success' } };
      deletes.push({ name, status: answer.status });
      return answer;
    }
    if (path === '/api/v1/configmaps') return list(names.map(configMap));
    // the install lock: taken, then found gone when released
    if (method === 'POST' && path.endsWith('/leases'))
      return {
        status: 201,
        body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { resourceVersion: '1' } },
      };
    return undefined;
  });
  return { server, deletes };
}

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('deleteObjects (uninstall, and install pruning): a DELETE the server refuses', () => {
  it('stops there and names what was deleted before it (one at a time: the first two of five)', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const fake = await serverFailingDelete(names, 3);
    server = fake.server;
    const rest = new KubeRest(loadKubeContext({ kubeconfig: server.kubeconfig }), 5000);
    const err = await deleteObjects(rest, names.map(configMap), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeleteFailed);
    expect((err as DeleteFailed).message).toBe(
      `ConfigMap/istio-system/c: ${UNAVAILABLE} (2 of 5 object(s) deleted; the others are still there)`,
    );
    expect((err as DeleteFailed).hint).toBe('re-running uninstall deletes the rest');
    expect((err as DeleteFailed).deleted.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(fake.deletes.map((d) => d.name)).toEqual(['a', 'b', 'c']);
  });

  it('the first DELETE refused: nothing was deleted', async () => {
    const fake = await serverFailingDelete(['a', 'b'], 1);
    server = fake.server;
    const rest = new KubeRest(loadKubeContext({ kubeconfig: server.kubeconfig }), 5000);
    const err = await deleteObjects(rest, ['a', 'b'].map(configMap), 1).catch((e: unknown) => e);
    expect((err as DeleteFailed).message).toBe(
      `ConfigMap/istio-system/a: ${UNAVAILABLE} (nothing was deleted)`,
    );
    expect((err as DeleteFailed).deleted).toEqual([]);
  });
});

describe('mesh uninstall -y: the 2nd DELETE gets a 503', () => {
  it('lists on stderr exactly the objects deleted before the failure, counts them in the error, exit 1', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `cm-${String(i + 1).padStart(2, '0')}`);
    const fake = await serverFailingDelete(names, 2);
    server = fake.server;
    const r = await runCli(['uninstall', '-y', '--no-wait', '--kubeconfig', server.kubeconfig], {
      MESH_PROTECTED_CONTEXTS: undefined,
      MESH_CONFIG: '/nonexistent/mesh-config.yaml',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // eight DELETEs at a time: which ones the server answered before the failure stopped the rest
    // depends on timing; the report must name exactly those, in the order uninstall listed them
    const failed = fake.deletes.find((d) => d.status === 503)!.name;
    const deleted = fake.deletes
      .filter((d) => d.status === 200)
      .map((d) => d.name)
      .sort();
    expect(deleted.length).toBeGreaterThan(0);
    expect(deleted.length).toBeLessThan(names.length - 1);
    const stderr = r.stderr.trimEnd().split('\n');
    const from = stderr.indexOf('Deleted before the failure:');
    expect(from, r.stderr).toBeGreaterThan(0);
    expect(stderr.slice(from)).toEqual([
      'Deleted before the failure:',
      ...deleted.map((n) => `- ConfigMap/istio-system/${n}`),
      `Error: ConfigMap/istio-system/${failed}: ${UNAVAILABLE} (${deleted.length} of 12 object(s) deleted; the others are still there)`,
      'Hint: re-running uninstall deletes the rest',
    ]);
  });
});
