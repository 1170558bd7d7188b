/**
 * Ctrl+C while uninstall deletes, or while install prunes: no further DELETE is sent, the ones in flight
 * finish, and the error says how many were deleted and lists them (DeleteInterrupted; InstallError's
 * `pruned`). Timing a Ctrl+C between two deletes of a real API server is not possible (they take
 * milliseconds), so a stand-in answers as the API server does (a list of the install's labelled objects,
 * and 200 with a Status to a DELETE), and the test interrupts when the first DELETE arrives, two being in
 * flight. The wait after the deletes is interrupted against the real API server in
 * test/e2e/install-changes.test.ts.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import {
  applyComponents,
  DeleteInterrupted,
  deleteObjects,
  FIELD_MANAGER,
  InstallError,
} from '../../../src/kube/installer.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { MeshError } from '../../../src/util/errors.js';
import { writeKubeconfig } from '../../support/silent-server.js';
import type { K8sObject } from '../../../src/install/render.js';

const deletes: string[] = [];
/** Called when the first DELETE arrives (the test interrupts there, before it is answered). */
let onFirst: () => void = () => {};
/** The DELETE (1-based) answered 503 instead. */
let failNth = 0;
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.method === 'GET') {
    // the install's labelled objects: three ConfigMaps mesh applied, nothing of the other kinds
    const configMaps = req.url!.startsWith('/api/v1/configmaps?labelSelector=');
    return res.end(
      JSON.stringify({
        kind: 'List',
        apiVersion: 'v1',
        items: configMaps ? ['a', 'b', 'c'].map(applied) : [],
      }),
    );
  }
  deletes.push(`${req.method} ${req.url}`);
  if (deletes.length === 1) onFirst();
  if (deletes.length === failNth) {
    res.statusCode = 503;
    const message = 'the server is currently unable to handle the request';
    return res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 503, message }),
    );
  }
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

/** A ConfigMap as the API server lists it once mesh has applied it. */
const applied = (name: string): K8sObject =>
  ({
    ...configMap(name),
    metadata: {
      ...configMap(name).metadata,
      managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply' }],
    },
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

describe('install interrupted while pruning', () => {
  it('sends no further DELETE and names what was pruned; re-running the same command prunes the rest', async () => {
    deletes.length = 0;
    const rest = new KubeRest(loadKubeContext({ kubeconfig }), 5000);
    const interrupt = new AbortController();
    let doing = 'applying';
    onFirst = () => interrupt.abort(new MeshError(`interrupted (Ctrl+C) while ${doing}`));
    const quiet = { start() {}, update() {}, succeed() {}, fail() {} };
    // nothing rendered any more: the three ConfigMaps the install applied before are to be pruned
    const err = await applyComponents(
      rest,
      [],
      { name: 'installed-state', namespace: 'istio-system', revision: '' },
      {
        signal: interrupt.signal,
        during: (what) => (doing = what),
        concurrency: 2,
        readinessTimeoutMs: 1000,
        progress: quiet,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallError);
    expect((err as InstallError).message).toBe(
      'interrupted (Ctrl+C) while pruning (2 of 3 object(s) deleted; the others are still there) (nothing was applied)',
    );
    expect((err as InstallError).hint).toBe(
      're-running the same command completes the install (applying is idempotent)',
    );
    expect((err as InstallError).pruned).toEqual(['ConfigMap/istio-system/a', 'ConfigMap/istio-system/b']);
    expect(deletes).toEqual([
      'DELETE /api/v1/namespaces/istio-system/configmaps/a',
      'DELETE /api/v1/namespaces/istio-system/configmaps/b',
    ]);
  });
});

describe('install pruning stopped by a DELETE that fails', () => {
  // the error named the failed object only: what was pruned before it went unsaid
  it('names what was pruned before the failure', async () => {
    deletes.length = 0;
    onFirst = () => {};
    failNth = 2;
    const rest = new KubeRest(loadKubeContext({ kubeconfig }), 5000);
    const quiet = { start() {}, update() {}, succeed() {}, fail() {} };
    const err = await applyComponents(
      rest,
      [],
      { name: 'installed-state', namespace: 'istio-system', revision: '' },
      { concurrency: 1, readinessTimeoutMs: 1000, progress: quiet },
    ).catch((e: unknown) => e);
    failNth = 0;
    expect(err).toBeInstanceOf(InstallError);
    expect((err as InstallError).message).toBe(
      'ConfigMap/istio-system/b: the server is currently unable to handle the request (1 of 3 object(s) deleted; the others are still there) (nothing was applied)',
    );
    expect((err as InstallError).pruned).toEqual(['ConfigMap/istio-system/a']);
  });
});
