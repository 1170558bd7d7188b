/**
 * The install lock (Lease kube-system/mesh-install) under the faults a real API server and network
 * produce, found against the real kube-apiserver through a fault-injecting proxy and replayed here
 * against the storing stand-in (`strictPut`: a stale resourceVersion gets 409, a PUT of a lease not there
 * creates it, 201, as the API server does for Leases):
 * - a renewal whose answer was lost, or that re-created a deleted lease (201), broke every later renewal
 *   (409): the lease lapsed, a second run took it over, and the first kept applying without a word;
 * - a lease taken over by another run did not stop the run holding it;
 * - expiry was judged by comparing the holder's renewTime (another machine's clock) with ours;
 * - a lease deleted between two steps of taking it ended the run with a raw error, or left it held;
 * - the release at the end kept the full --timeout on a server that stopped answering;
 * - an empty plan ("Nothing to change") did not look at the lock while an uninstall was deleting;
 * - a prune that failed was listed as "Pruned before the interruption".
 * Renewals run every 15 s; the tests that need them fake setInterval only (requests keep real time).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { withInstallLock } from '../../../src/kube/install-lock.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { MeshError } from '../../../src/util/errors.js';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type Intercepted, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/mesh-install';
const BOB = 'bob@ci-runner-7 pid 4242: install of revision default in istio-system';
const MINIMAL = ['install', '-y', '--set', 'profile=minimal', '--concurrency', '1'];

let server: StoreApiServer | undefined;
let liveHolder: NodeJS.Timeout | undefined;
afterEach(async () => {
  vi.useRealTimers();
  clearTimeout(liveHolder);
  liveHolder = undefined;
  await server?.close();
  server = undefined;
});

const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', server!.kubeconfig], ENV);
const stored = () => server!.get('leases', 'kube-system', 'mesh-install');
const errorLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('Error: '));
/** Waits (real time) for the requests a renewal started to be answered. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
/** Server-side applies that write (not the plan's dry runs). */
const applies = () => server!.requests.filter((r) => r.startsWith('PATCH ') && !r.includes('dryRun'));

/** A Lease as another mesh run writes it, renewed at `renewed` by its own clock. */
function lease(holder: string, renewed: Date, seconds = 60) {
  const t = renewed.toISOString().replace(/Z$/, '000Z');
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'mesh-install', namespace: 'kube-system' },
    spec: { holderIdentity: holder, leaseDurationSeconds: seconds, acquireTime: t, renewTime: t },
  };
}

/** Another run holding the lease, alive: it renews every 300 ms, its clock `skewMs` off ours. */
function liveRun(holder: string, skewMs: number) {
  const renew = () => server!.put('leases', lease(holder, new Date(Date.now() + skewMs)));
  renew();
  liveHolder = setInterval(renew, 300);
}

/**
 * `mesh install` held at its first write (the lock taken), for the test to fire renewals meanwhile;
 * `intercept` sees every other request.
 */
async function installHeldAtFirstApply(intercept?: (req: string) => Intercepted | undefined) {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  let reached!: () => void;
  let go!: () => void;
  const atApply = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (go = resolve));
  let held = false;
  server = await startStoreApiServer({
    strictPut: true,
    intercept: async (req) => {
      if (req.startsWith('PATCH ') && !req.includes('dryRun') && !held) {
        held = true;
        reached();
        await gate;
      }
      return intercept?.(req);
    },
  });
  const run = mesh(...MINIMAL);
  await atApply;
  return {
    run,
    /** One renewal (15 s on the renewal timer), answered. */
    renewal: async () => {
      vi.advanceTimersByTime(15_000);
      await settle();
      return stored()?.metadata.resourceVersion as string | undefined;
    },
    release: go,
  };
}

describe('renewing the lock', () => {
  it('a renewal stored but whose answer was lost: later renewals re-read the lease and go on', async () => {
    let drop = true;
    const install = await installHeldAtFirstApply((req) => {
      if (req === `PUT ${LEASE}` && drop) return ((drop = false), 'drop');
      return undefined;
    });
    // before: every renewal after the lost answer sent the old resourceVersion and got 409 (unrenewed)
    const versions = [await install.renewal(), await install.renewal(), await install.renewal()];
    expect(new Set(versions).size).toBe(3);
    expect(stored().spec.holderIdentity).toMatch(/ pid \d+: install of revision default in istio-system$/);
    install.release();
    const r = await install.run;
    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toBeUndefined(); // released
  });

  it('a renewal answered 201 (the lease deleted meanwhile, created again by the PUT) counts as renewed', async () => {
    const install = await installHeldAtFirstApply();
    server!.remove('leases', 'kube-system', 'mesh-install');
    const recreated = await install.renewal();
    expect(recreated).toBeDefined();
    // before: the 201's resourceVersion was not kept, so the next renewal got 409
    expect(await install.renewal()).not.toBe(recreated);
    install.release();
    expect((await install.run).code).toBe(0);
    expect(stored()).toBeUndefined();
  });

  it('the lease taken by another run: install stops applying, says so in one line, exit 1, leaves it alone', async () => {
    const install = await installHeldAtFirstApply();
    server!.put('leases', lease(BOB, new Date())); // another run took it over (after it had lapsed, say)
    await install.renewal();
    install.release();
    const r = await install.run;
    // before: the renewal's 409 went unnoticed; the install went on writing beside the other run (exit 0)
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: lost the install lock: Lease kube-system\/mesh-install is now held by bob@ci-runner-7 pid 4242: install of revision default in istio-system; this run stopped so that two runs do not change the cluster at once \(already applied 1 object\(s\): CRDs and namespace 1\/\d+ applied\)$/,
    );
    expect(r.stderr.match(/lost the install lock/g)).toHaveLength(1);
    expect(applies()).toHaveLength(1); // the write in flight, none after
    expect(stored().spec.holderIdentity).toBe(BOB);
  });
});

describe("expiry judged by this machine's clock, never by the holder's renewTime", () => {
  it.each([
    ['90 s behind', -90_000],
    ['1 h ahead', 3_600_000],
  ])('a live holder whose clock is %s is not taken over: refused once seen renewed', async (_, skew) => {
    server = await startStoreApiServer({ strictPut: true });
    liveRun(BOB, skew);
    const r = await mesh(...MINIMAL);
    // before: 90 s behind was taken over (both runs wrote); 1 h ahead said "renewed -3600s ago"
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: another mesh run is changing this cluster: bob@ci-runner-7 pid 4242: install of revision default in istio-system \(since \S+, renewed less than \d+s ago\); nothing was changed$/,
    );
    expect(r.stderr).toContain(
      'Hint: wait until it finishes, then re-run; a run that died stops renewing it, and the next run takes it over once it has seen it go unrenewed for its duration (60s for mesh; Lease kube-system/mesh-install)',
    );
    expect(applies()).toEqual([]);
    expect(stored().spec.holderIdentity).toBe(BOB);
  });

  it('a holder that releases the lease while mesh watches it: refused, its plan being made meanwhile', async () => {
    server = await startStoreApiServer({ strictPut: true });
    server.put('leases', lease(BOB, new Date(Date.now() + 3_600_000)));
    liveHolder = setTimeout(() => server!.remove('leases', 'kube-system', 'mesh-install'), 1500);
    const r = await mesh(...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toMatch(
      /^Error: another mesh run is changing this cluster: bob@ci-runner-7 pid 4242: install of revision default in istio-system \(since \S+, lock released just now\); nothing was changed$/,
    );
    expect(r.stderr).toContain('Hint: re-run: the plan above was made while another run held the lock');
    expect(applies()).toEqual([]);
  });

  it('a dead holder whose clock is 1 h ahead: taken over once seen unrenewed for its duration', async () => {
    server = await startStoreApiServer({ strictPut: true });
    server.put('leases', lease(BOB, new Date(Date.now() + 3_600_000), 2));
    const t0 = Date.now();
    const r = await mesh(...MINIMAL);
    // before: refused for an hour ("renewed -3598s ago")
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(r.stderr).toContain(
      `Waiting for the install lock: Lease kube-system/mesh-install is held by ${BOB} (since `,
    );
    expect(r.stderr).toContain('takes it over if not within 2s');
    expect(stored()).toBeUndefined();
  });
});

describe('the lease deleted between the steps of taking it', () => {
  it('create refused (409) but the lease gone by the read: created again', async () => {
    let first = true;
    server = await startStoreApiServer({
      strictPut: true,
      intercept: (req) => {
        if (req !== `POST ${LEASE.replace(/\/mesh-install$/, '')}` || !first) return undefined;
        first = false;
        const message = 'leases.coordination.k8s.io "mesh-install" already exists';
        return { status: 409, body: { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', message } };
      },
    });
    const r = await mesh(...MINIMAL);
    // before: `Error: leases.coordination.k8s.io "mesh-install" not found`, exit 1
    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toBeUndefined();
  });

  it('a takeover PUT answered 201 (deleted meanwhile, created by the PUT): taken, and released at the end', async () => {
    server = await startStoreApiServer({
      strictPut: true,
      intercept: (req) => {
        if (req === `PUT ${LEASE}`) server!.remove('leases', 'kube-system', 'mesh-install');
        return undefined;
      },
    });
    server.put('leases', lease(BOB, new Date('2020-01-01T00:00:00Z'), 1));
    const r = await mesh(...MINIMAL);
    // before: `Error: take over Lease kube-system/mesh-install: status 201`, the lease left held
    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toBeUndefined();
  });

  it('a takeover PUT stored but whose answer was lost: the lease read again is ours, taken', async () => {
    let drop = true;
    server = await startStoreApiServer({
      strictPut: true,
      intercept: (req) => (req === `PUT ${LEASE}` && drop ? ((drop = false), 'drop') : undefined),
    });
    server.put('leases', lease(BOB, new Date('2020-01-01T00:00:00Z'), 1));
    const r = await mesh(...MINIMAL);
    expect(r.code, r.stderr).toBe(0);
    expect(stored()).toBeUndefined();
  });

  it('a takeover whose answer was lost, then a failure: the run ends without leaving the lease held', async () => {
    let step = 0;
    server = await startStoreApiServer({
      strictPut: true,
      intercept: (req) => {
        if (req === `PUT ${LEASE}` && step === 0) return (step++, 'drop');
        if (req === `GET ${LEASE}` && step === 1) {
          step++;
          const message = 'the server is currently unable to handle the request';
          return {
            status: 503,
            body: { kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', message },
          };
        }
        return undefined;
      },
    });
    server.put('leases', lease(BOB, new Date('2020-01-01T00:00:00Z'), 1));
    const r = await mesh(...MINIMAL);
    // before: held by the exited run until it lapsed
    expect(stored()).toBeUndefined();
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toContain('the server is currently unable to handle the request');
    expect(applies()).toEqual([]);
  });
});

describe('releasing the lock', () => {
  it('on a server that stopped answering: given up after a few seconds (not --timeout), said in one line', async () => {
    let dead = false;
    server = await startStoreApiServer({ hang: () => dead });
    const rest = new KubeRest(loadKubeContext({ kubeconfig: server.kubeconfig }), 30_000);
    const lines: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const t0 = Date.now();
    const err = await withInstallLock(rest, 'install of revision default in istio-system', async () => {
      dead = true;
      throw new MeshError('applying failed');
    })
      .catch((e: unknown) => e)
      .finally(() => write.mockRestore());
    const seconds = (Date.now() - t0) / 1000;
    expect((err as Error).message).toBe('applying failed');
    // before: the release's GET kept the whole 30 s --timeout
    expect(seconds).toBeLessThan(5);
    expect(lines).toEqual([
      'Warning: could not release the install lock (Lease kube-system/mesh-install): no answer within 3s; it lapses on its own 60s after its last renewal\n',
    ]);
  }, 40_000);
});

describe('install with nothing to change', () => {
  it('while another run holds the lock (an uninstall deleting): refused as with a plan, not "Nothing to change"', async () => {
    server = await startStoreApiServer({ strictPut: true });
    expect((await mesh(...MINIMAL)).code).toBe(0);
    const holder = 'alice@ci-7 pid 4242: uninstall of revision default';
    liveRun(holder, 0);
    const r = await mesh(...MINIMAL);
    expect(r.stderr).toMatch(/^Plan: 0 to create, 0 to change, 0 to prune, \d+ unchanged\.$/m);
    // before: `Nothing to change: the cluster already matches.`, exit 0, while the uninstall deleted
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toContain('Nothing to change');
    expect(errorLine(r.stderr)).toMatch(
      /^Error: another mesh run is changing this cluster: alice@ci-7 pid 4242: uninstall of revision default \(since \S+, renewed less than \d+s ago\); nothing was changed$/,
    );
  });

  it('with the lock free: "Nothing to change", exit 0, no lease left', async () => {
    server = await startStoreApiServer({ strictPut: true });
    expect((await mesh(...MINIMAL)).code).toBe(0);
    const r = await mesh(...MINIMAL);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Nothing to change: the cluster already matches.');
    expect(stored()).toBeUndefined();
  });
});

describe('install pruning stopped by a DELETE that fails', () => {
  it('lists what was pruned "before the failure" (not "before the interruption")', async () => {
    let deletes = 0;
    server = await startStoreApiServer({
      intercept: (req) => {
        if (!req.startsWith('DELETE ') || req.startsWith(`DELETE ${LEASE}`) || ++deletes !== 2)
          return undefined;
        const message = 'the server is currently unable to handle the request';
        return {
          status: 503,
          body: { kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', message },
        };
      },
    });
    expect((await mesh('install', '-y')).code).toBe(0);
    const r = await mesh(...MINIMAL);
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r.stderr)).toContain('the server is currently unable to handle the request (1 of ');
    expect(r.stderr).toMatch(/^Pruned before the failure:\n- \S+$/m);
    expect(r.stderr).not.toContain('interruption');
  });
});
