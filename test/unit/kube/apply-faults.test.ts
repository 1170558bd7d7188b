/**
 * `mesh install`, `uninstall` and `check` under the faults a real API server and network produce, found
 * against the real kube-apiserver through a fault-injecting proxy and replayed here against the storing
 * stand-in:
 * - Ctrl+C or SIGTERM did nothing while a request got no answer (28 s later the timeout error; with
 *   `--timeout 0` nothing until a second Ctrl+C, exit 130, the lock left held);
 * - one 503 during the readiness wait or the wait until deleted objects are gone failed the run, naming
 *   no object;
 * - any 409 to a DELETE was reported as "replaced by a new object" (exit 0) while the object stayed;
 * - a write whose answer was lost was not named, and missing from what was applied or deleted;
 * - a 422 got the hint that re-running completes the install;
 * - check's 503 on endpoint slices gave two identical lines naming neither webhook nor Service;
 * - a Deployment answer without metadata ended with "Cannot read properties of undefined".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { DeleteFailed, deleteObjects, FIELD_MANAGER } from '../../../src/kube/installer.js';
import { KubeRest, WRITE_GRACE_MS } from '../../../src/kube/rest.js';
import type { K8sObject } from '../../../src/install/render.js';
import { runCli } from '../../support/cli.js';
import { status } from '../../support/fake-api-server.js';
import { startStoreApiServer, type Intercepted, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const ISTIOD = '/apis/apps/v1/namespaces/istio-system/deployments/istiod';
const MINIMAL = ['--set', 'profile=minimal'];
const UNAVAILABLE = 'the server is currently unable to handle the request';
const SERVER = 'the Kubernetes API server http://127\\.0\\.0\\.1:\\d+';

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', server!.kubeconfig], ENV);
const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('Error: '));
const hintLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('Hint: '));
const lease = () => server!.get('leases', 'kube-system', 'mesh-install');
const istiod = () => server!.get('deployments', 'istio-system', 'istiod');
const unavailable = () => status(503, 'ServiceUnavailable', UNAVAILABLE);
/** The path of a request as `intercept` and `hang` see it, without the query. */
const pathOf = (request: string) => request.split('?')[0]!;

/** A store whose `intercept` is `fn` (set once the server exists: it may look at the store). */
async function storeWith(fn: (request: string) => Intercepted | undefined, hang?: (r: string) => boolean) {
  server = await startStoreApiServer({ intercept: (request) => fn(pathOf(request)), hang });
}

/** Sends `signal` to mesh (as the terminal or a supervisor does) and notes when. */
function interruptAt(signal: 'SIGINT' | 'SIGTERM', sent: { at?: number }) {
  setImmediate(() => {
    sent.at = Date.now();
    process.emit(signal, signal);
  });
}

describe('Ctrl+C or SIGTERM while a request gets no answer', () => {
  for (const [signal, timeout, name] of [
    ['SIGINT', '30s', 'Ctrl+C'],
    ['SIGTERM', '0', 'SIGTERM'],
  ] as const)
    it(`install --timeout ${timeout}, a readiness GET hung: ${name} ends the run at once with the interrupted report, the lock released`, async () => {
      const sent: { at?: number } = {};
      await storeWith(
        () => undefined,
        (request) => {
          // istiod's GETs are answered until it is applied; the readiness wait's first one hangs
          const hung = request === `GET ${ISTIOD}` && !!istiod();
          if (hung && sent.at === undefined) interruptAt(signal, sent);
          return hung;
        },
      );
      const r = await mesh('install', '-y', ...MINIMAL, '--timeout', timeout);
      const seconds = (Date.now() - sent.at!) / 1000;
      expect(r.code, r.stderr).toBe(1);
      expect(seconds).toBeLessThan(2);
      expect(errorLine(r.stderr)).toMatch(
        new RegExp(
          `^Error: interrupted \\(${name.replace('+', '\\+')}\\) while applying \\(already applied \\d+ object\\(s\\): .*Pilot (\\d+)/\\1 applied\\)$`,
        ),
      );
      expect(r.stderr).toContain('Applied before the failure:\n');
      expect(r.stderr).toContain('- Deployment/istio-system/istiod\n');
      expect(lease()).toBeUndefined();
    });

  it('install, a PATCH hung: it gets its moment to be answered, then the run ends naming it as maybe applied', async () => {
    const sent: { at?: number } = {};
    await storeWith(
      () => undefined,
      (request) => {
        const hung = request === `PATCH ${ISTIOD}` && sent.at === undefined;
        if (hung) interruptAt('SIGINT', sent);
        return hung;
      },
    );
    const r = await mesh('install', '-y', ...MINIMAL, '--timeout', '0');
    const seconds = (Date.now() - sent.at!) / 1000;
    expect(r.code, r.stderr).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual(WRITE_GRACE_MS / 1000 - 0.1);
    expect(seconds).toBeLessThan(WRITE_GRACE_MS / 1000 + 1.5);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: interrupted \(Ctrl\+C\) while applying \(already applied \d+ object\(s\): .*; Deployment\/istio-system\/istiod may have been applied \(the answer was lost\)\)$/,
    );
    expect(r.stderr).toContain(
      '- Deployment/istio-system/istiod (may have been applied: the answer was lost)\n',
    );
    expect(lease()).toBeUndefined();
  });

  it('uninstall, a GET of the wait until gone hung: SIGTERM stops waiting at once, naming what is left', async () => {
    const sent: { at?: number } = {};
    let uid: string | undefined;
    let polls = 0;
    await storeWith(
      // the first poll finds istiod terminating (held by a finalizer), the second gets no answer
      (request) =>
        uid && request === `GET ${ISTIOD}` && polls++ === 0
          ? {
              status: 200,
              body: {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                metadata: {
                  name: 'istiod',
                  namespace: 'istio-system',
                  uid,
                  deletionTimestamp: '2026-01-01T00:00:00Z',
                  finalizers: ['example.com/hold'],
                },
              },
            }
          : undefined,
      (request) => {
        if (request === `DELETE ${ISTIOD}`) uid = istiod().metadata.uid;
        const hung = polls > 0 && request === `GET ${ISTIOD}`;
        if (hung && sent.at === undefined) interruptAt('SIGTERM', sent);
        return hung;
      },
    );
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const r = await mesh('uninstall', '-y', '--timeout', '0');
    const seconds = (Date.now() - sent.at!) / 1000;
    expect(r.code, r.stderr).toBe(1);
    expect(seconds).toBeLessThan(2);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: interrupted \(SIGTERM\) while waiting until the (\d+) deleted object\(s\) are gone: all \1 object\(s\) were deleted, 1 still terminating: Deployment\/istio-system\/istiod$/,
    );
    expect(lease()).toBeUndefined();
  });
});

describe('a transient failure answer (503) during a wait is polled again', () => {
  it('install: one 503 to a readiness GET, and the install completes', async () => {
    let answered503 = 0;
    await storeWith((request) =>
      request === `GET ${ISTIOD}` && istiod() && answered503++ === 0 ? unavailable() : undefined,
    );
    const r = await mesh('install', '-y', ...MINIMAL);
    expect(r.code, r.stderr).toBe(0);
    expect(answered503).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/✔ Installed .* in istio-system: \d+ object\(s\) applied\./);
  });

  it('install: 503 until the readiness deadline, and the error names the object and the server error', async () => {
    await storeWith((request) => (request === `GET ${ISTIOD}` && istiod() ? unavailable() : undefined));
    const r = await mesh('install', '-y', ...MINIMAL, '--readiness-timeout', '2s');
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod is not ready after 2s: GET Deployment/istio-system/istiod: ${UNAVAILABLE} \\(already applied \\d+ object\\(s\\): .*\\)$`,
      ),
    );
  });

  it('uninstall: one 503 while waiting until the deleted objects are gone, and it completes', async () => {
    let deleted = false;
    let answered503 = 0;
    await storeWith((request) => {
      deleted ||= request === `DELETE ${ISTIOD}`;
      return deleted && request === `GET ${ISTIOD}` && answered503++ === 0 ? unavailable() : undefined;
    });
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const r = await mesh('uninstall', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(answered503).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/✔ Removed \d+ object\(s\) of revision default\./);
    expect(istiod()).toBeUndefined();
  });

  it('outside a wait (the plan), a 503 is an error naming the request', async () => {
    await storeWith((request) => (request === `GET ${ISTIOD}` ? unavailable() : undefined));
    const r = await mesh('install', '-y', ...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toBe(`Error: GET Deployment/istio-system/istiod: ${UNAVAILABLE}`);
  });
});

/** A Deployment mesh applied, as listed (its UID `uid`). */
const listed = (uid: string): K8sObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'istiod',
      namespace: 'istio-system',
      uid,
      managedFields: [{ manager: FIELD_MANAGER, operation: 'Apply' }],
    },
  }) as any;

describe('a 409 to a DELETE', () => {
  const MODIFIED =
    'Operation cannot be fulfilled on deployments.apps "istiod": the object has been modified; please apply your changes to the latest version and try again';

  it('another conflict than the UID precondition, the same object still there: a failed delete, exit 1', async () => {
    await storeWith((request) =>
      request === `DELETE ${ISTIOD}` ? status(409, 'Conflict', MODIFIED) : undefined,
    );
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const r = await mesh('uninstall', '-y');
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod: ${MODIFIED.replace(/[.;"]/g, '\\$&')} \\(\\d+ of \\d+ object\\(s\\) deleted; the others are still there\\)$`,
      ),
    );
    expect(r.stderr).not.toContain('replaced by a new object');
    expect(r.stderr).not.toContain('✔');
    expect(istiod()).toBeDefined();
  });

  it('the UID precondition failed (a new object took the name): replaced, left alone', async () => {
    await storeWith(() => undefined);
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const rest = new KubeRest(loadKubeContext({ kubeconfig: server!.kubeconfig }), 5000);
    const result = await deleteObjects(rest, [listed('uid-of-an-earlier-istiod')], 1);
    expect(result).toEqual({ deleted: [], replaced: ['Deployment/istio-system/istiod'] });
    expect(istiod()).toBeDefined();
  });

  it('the same UID still there after a 409: DeleteFailed naming it', async () => {
    await storeWith((request) =>
      request === `DELETE ${ISTIOD}` ? status(409, 'Conflict', MODIFIED) : undefined,
    );
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const rest = new KubeRest(loadKubeContext({ kubeconfig: server!.kubeconfig }), 5000);
    const err = await deleteObjects(rest, [listed(istiod().metadata.uid)], 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeleteFailed);
    expect((err as DeleteFailed).message).toBe(
      `Deployment/istio-system/istiod: ${MODIFIED} (nothing was deleted)`,
    );
  });
});

describe('a write whose answer was lost: named, as maybe carried out', () => {
  it('uninstall: a DELETE carried out, its connection closed before the answer', async () => {
    await storeWith((request) => (request === `DELETE ${ISTIOD}` ? 'drop' : undefined));
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const r = await mesh('uninstall', '-y');
    expect(r.code, r.stderr).toBe(1);
    expect(istiod()).toBeUndefined();
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod: ${SERVER} sent no answer to DELETE ${ISTIOD}: socket hang up \\(\\d+ of \\d+ object\\(s\\) deleted; Deployment/istio-system/istiod may have been deleted \\(the answer was lost\\)(; the others are still there)?\\)$`,
      ),
    );
  });

  it('install: a PATCH carried out, its connection closed before the answer', async () => {
    await storeWith((request) => (request === `PATCH ${ISTIOD}` && !istiod() ? 'drop' : undefined));
    const r = await mesh('install', '-y', ...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(istiod()).toBeDefined();
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod: ${SERVER} sent no answer to PATCH ${ISTIOD}: socket hang up \\(already applied \\d+ object\\(s\\): .*; Deployment/istio-system/istiod may have been applied \\(the answer was lost\\)\\)$`,
      ),
    );
    expect(r.stderr).toContain(
      '- Deployment/istio-system/istiod (may have been applied: the answer was lost)\n',
    );
    expect(hintLine(r.stderr)).toBe(
      'Hint: re-running the same command completes the install (applying is idempotent)',
    );
  });

  it('install: a PATCH answered later than --timeout', async () => {
    await storeWith(
      () => undefined,
      (request) => request === `PATCH ${ISTIOD}`,
    );
    const r = await mesh('install', '-y', ...MINIMAL, '--timeout', '1s');
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: Deployment/istio-system/istiod: timed out after 1s waiting for ${SERVER} \\(PATCH ${ISTIOD}\\) \\(already applied \\d+ object\\(s\\): .*; Deployment/istio-system/istiod may have been applied \\(the answer was lost\\)\\)$`,
      ),
    );
    expect(r.stderr).toContain(
      '- Deployment/istio-system/istiod (may have been applied: the answer was lost)\n',
    );
  });
});

describe('install: a 422 (an object the API server rejects)', () => {
  it('gets a hint that re-running the same command cannot help', async () => {
    const invalid =
      'Deployment.apps "istiod" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1';
    await storeWith((request) =>
      request === `PATCH ${ISTIOD}` ? status(422, 'Invalid', invalid) : undefined,
    );
    const r = await mesh('install', '-y', ...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: Deployment\/istio-system\/istiod: Deployment\.apps "istiod" is invalid: /,
    );
    expect(hintLine(r.stderr)).toBe(
      'Hint: the API server rejects the object as mesh rendered it, and re-running sends the same: change the input that sets the field it names (-f, --set), then re-run',
    );
  });
});

describe('check: a 503 listing the endpoint slices of a webhook Service', () => {
  it('names the Service and the webhook configuration in each line', async () => {
    await storeWith((request) => (request.includes('/endpointslices') ? unavailable() : undefined));
    expect((await mesh('install', '-y', ...MINIMAL)).code).toBe(0);
    const r = await mesh('check', '--skip-proxies');
    const lines = r.stdout.split('\n').filter((l) => l.includes('endpoints of Service'));
    expect(lines.sort()).toEqual(
      [
        'MutatingWebhookConfiguration/istio-sidecar-injector',
        'ValidatingWebhookConfiguration/istio-validator-istio-system',
      ].map(
        (wh) =>
          `× cannot check the endpoints of Service istio-system/istiod that ${wh} calls: ${UNAVAILABLE}`,
      ),
    );
    expect(r.code).toBe(79);
  });
});

describe('install: a Deployment answer without metadata', () => {
  it('is a one-line error naming the object and the request', async () => {
    await storeWith((request) =>
      request === `GET ${ISTIOD}` && istiod()
        ? { status: 200, body: { apiVersion: 'apps/v1', kind: 'Deployment', spec: {}, status: {} } }
        : undefined,
    );
    const r = await mesh('install', '-y', ...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toContain('Cannot read properties');
    expect(errorLine(r.stderr)).toMatch(
      new RegExp(
        `^Error: ${SERVER} answered GET Deployment/istio-system/istiod with an object without "metadata" \\(already applied \\d+ object\\(s\\): .*\\)$`,
      ),
    );
  });
});
