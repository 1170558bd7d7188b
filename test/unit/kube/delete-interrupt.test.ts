/**
 * Ctrl+C while uninstall deletes: no further DELETE is sent, the ones in flight finish, and the error says
 * how many were deleted and lists them (DeleteInterrupted). Timing a Ctrl+C between two deletes of a
 * real API server is not possible (they take milliseconds), so a stand-in answers DELETE as the API
 * server does (200 and a Status), and the test interrupts when the first DELETE arrives, two being in
 * flight. The wait after the deletes is interrupted against the real API server in
 * test/e2e/install-changes.test.ts.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { DeleteInterrupted, deleteObjects } from '../../../src/kube/installer.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { MeshError } from '../../../src/util/errors.js';
import { writeKubeconfig } from '../../support/silent-server.js';
import type { K8sObject } from '../../../src/install/render.js';

const deletes: string[] = [];
/** Called when the first DELETE arrives (the test interrupts there, before it is answered). */
let onFirst: () => void = () => {};
const server = http.createServer((req, res) => {
  deletes.push(`${req.method} ${req.url}`);
  if (deletes.length === 1) onFirst();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Success' }));
});
let kubeconfig = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  kubeconfig = writeKubeconfig(
    mkdtempSync(join(tmpdir(), 'mesh-delete-')),
    'stand-in',
    `http://127.0.0.1:${port}`,
  );
});
afterAll(() => server.close());

const configMap = (name: string): K8sObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'istio-system', uid: `uid-${name}` },
  }) as any;

describe('deleteObjects interrupted', () => {
  it('sends no further DELETE, lets the one in flight finish, and names what was deleted', async () => {
    const rest = new KubeRest(loadKubeContext({ kubeconfig }), 5000);
    const objects = ['a', 'b', 'c', 'd', 'e'].map(configMap);
    const interrupt = new AbortController();
    // Ctrl+C while the first two DELETEs (two at a time) are in flight: both finish, no third is sent
    onFirst = () => interrupt.abort(new MeshError('interrupted (Ctrl+C) while deleting'));
    const err = await deleteObjects(rest, objects, 2, interrupt.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeleteInterrupted);
    expect((err as DeleteInterrupted).message).toBe(
      'interrupted (Ctrl+C) while deleting (2 of 5 object(s) deleted; the others are still there)',
    );
    expect((err as DeleteInterrupted).deleted.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(deletes).toEqual([
      'DELETE /api/v1/namespaces/istio-system/configmaps/a',
      'DELETE /api/v1/namespaces/istio-system/configmaps/b',
    ]);
  });
});
