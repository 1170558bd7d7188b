import { hostname, userInfo } from 'node:os';
import { describeError, MeshError } from '../util/errors.js';
import { warn } from '../util/output.js';
import { apiError, type KubeRest } from './rest.js';

/**
 * One mesh install, upgrade or uninstall at a time per cluster: a Lease (coordination.k8s.io/v1)
 * `kube-system/mesh-install` held while mesh writes. Two runs at once with different inputs otherwise both
 * report success while the cluster holds a mix, or one prunes what the other just applied. The holder
 * renews it every LEASE_SECONDS/4; one that stopped renewing (killed, cut off) is taken over once its
 * lease has run out, at once when it ran on this host and its process is gone.
 */

export const LOCK_NAMESPACE = 'kube-system';
export const LOCK_NAME = 'mesh-install';
const LEASE_SECONDS = 60;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases`;

interface Holder {
  host: string;
  pid: number;
  what: string;
}

/** The login name; userInfo() throws for a uid without a passwd entry (common in containers). */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER || `uid ${process.getuid?.() ?? '?'}`;
  }
}

const holderIdentity = (h: Holder) => `${userName()}@${h.host} pid ${h.pid}: ${h.what}`;

function parseHolder(identity: string): { host: string; pid: number } | undefined {
  const m = /^[^@]*@(\S+) pid (\d+):/.exec(identity);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** MicroTime, as the API server wants it in a Lease. */
const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

function leaseBody(identity: string, acquired: Date, renewed: Date, resourceVersion?: string) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: LOCK_NAME, namespace: LOCK_NAMESPACE, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: microTime(acquired),
      renewTime: microTime(renewed),
    },
  };
}

/** Whether a live lease no longer holds: its time ran out, or its holder ran here and has exited. */
function lapsed(live: any, now: Date): boolean {
  const renewed = Date.parse(live.spec?.renewTime ?? live.spec?.acquireTime ?? '');
  const seconds = Number(live.spec?.leaseDurationSeconds ?? LEASE_SECONDS);
  if (!Number.isFinite(renewed) || now.getTime() > renewed + seconds * 1000) return true;
  const h = parseHolder(String(live.spec?.holderIdentity ?? ''));
  return h !== undefined && h.host === hostname() && h.pid !== process.pid && !processAlive(h.pid);
}

function busy(live: any, now: Date): MeshError {
  const renewed = Date.parse(live.spec?.renewTime ?? '');
  const ago = Number.isFinite(renewed)
    ? `, renewed ${Math.round((now.getTime() - renewed) / 1000)}s ago`
    : '';
  return new MeshError(
    `another mesh run is changing this cluster: ${live.spec?.holderIdentity ?? 'unknown holder'} (since ${live.spec?.acquireTime ?? '?'}${ago}); nothing was changed`,
    {
      hint: `wait until it finishes, then re-run; a run that died releases it ${LEASE_SECONDS}s after its last renewal (Lease ${LOCK_NAMESPACE}/${LOCK_NAME})`,
    },
  );
}

/**
 * Takes the lock (or throws naming who holds it), runs `fn`, and releases the lock whatever `fn` did. A
 * user who may not write Leases in kube-system is warned and goes on without it.
 */
export async function withInstallLock<T>(rest: KubeRest, what: string, fn: () => Promise<T>): Promise<T> {
  const identity = holderIdentity({ host: hostname(), pid: process.pid, what });
  const acquired = new Date();
  const taken = await acquire(rest, identity, acquired);
  if (!taken) return fn();
  let resourceVersion = taken;
  const renew = setInterval(
    () => {
      rest
        .request('PUT', `${LEASES}/${LOCK_NAME}`, leaseBody(identity, acquired, new Date(), resourceVersion))
        .then((res) => {
          if (res.status === 200) resourceVersion = res.body.metadata?.resourceVersion ?? resourceVersion;
        })
        .catch(() => undefined); // the next renewal tries again; the lease outlives a few misses
    },
    (LEASE_SECONDS * 1000) / 4,
  );
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    // Released only if still ours; an unreachable server leaves it to expire (or to this host's next run).
    await rest
      .request('GET', `${LEASES}/${LOCK_NAME}`)
      .then((res) =>
        res.status === 200 && res.body.spec?.holderIdentity === identity
          ? rest.request('DELETE', `${LEASES}/${LOCK_NAME}`, {
              preconditions: { uid: res.body.metadata?.uid },
            })
          : undefined,
      )
      .catch(() => undefined);
  }
}

/** The lease's resourceVersion once taken; undefined when the user may not use Leases (warned). */
async function acquire(rest: KubeRest, identity: string, now: Date): Promise<string | undefined> {
  const created = await rest.request('POST', LEASES, leaseBody(identity, now, now));
  if (created.status === 201) return created.body.metadata?.resourceVersion;
  if (created.status === 403 || created.status === 404) {
    warn(
      `Warning: cannot take the install lock (Lease ${LOCK_NAMESPACE}/${LOCK_NAME}): ${describeError(apiError(created, 'create lease'))}; another mesh run at the same time would not be noticed`,
    );
    return undefined;
  }
  if (created.status !== 409) throw apiError(created, `create Lease ${LOCK_NAMESPACE}/${LOCK_NAME}`);
  const live = await rest.call('GET', `${LEASES}/${LOCK_NAME}`);
  if (!lapsed(live, now)) throw busy(live, now);
  const res = await rest.request(
    'PUT',
    `${LEASES}/${LOCK_NAME}`,
    leaseBody(identity, now, now, live.metadata?.resourceVersion),
  );
  if (res.status === 200) return res.body.metadata?.resourceVersion;
  // Another run took the lapsed lease first.
  if (res.status === 409) throw busy(await rest.call('GET', `${LEASES}/${LOCK_NAME}`), now);
  throw apiError(res, `take over Lease ${LOCK_NAMESPACE}/${LOCK_NAME}`);
}
