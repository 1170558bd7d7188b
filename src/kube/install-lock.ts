import { hostname, userInfo } from 'node:os';
import { describeError, MeshError } from '../util/errors.js';
import { pause } from '../util/interrupt.js';
import { warn } from '../util/output.js';
import { apiError, WaitDeadlineError, type KubeRest } from './rest.js';

/**
 * One mesh install, upgrade or uninstall at a time per cluster: a Lease (coordination.k8s.io/v1)
 * `kube-system/mesh-install` held while mesh writes. Two runs at once with different inputs otherwise both
 * report success while the cluster holds a mix, or one prunes what the other just applied. The holder
 * renews it every LEASE_SECONDS/4. As in client-go's leader election, whether a held lease has lapsed is
 * judged by this machine's clock alone: a lease this run has watched for its whole duration without
 * seeing it change (its resourceVersion) is taken over, one that changes meanwhile is held by a live run;
 * the holder's renewTime, written by another machine's clock, is never compared with ours. A lease whose
 * holder ran on this host and has exited is taken over at once.
 */

export const LOCK_NAMESPACE = 'kube-system';
export const LOCK_NAME = 'mesh-install';
const LEASE_SECONDS = 60;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${LOCK_NAMESPACE}/leases`;
const LEASE = `${LEASES}/${LOCK_NAME}`;
const LOCK = `Lease ${LOCK_NAMESPACE}/${LOCK_NAME}`;
/** How often a held lease is read again while this run waits for it. */
const WATCH_MS = 1000;
/** The deadline of the release when the run ends, whatever --timeout is (a dead server held exit twice). */
const RELEASE_MS = 3000;
/** Creates of a lease that keeps being found held, then gone, before giving up. */
const MAX_CREATES = 3;

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

const versionOf = (lease: any): string | undefined => lease?.metadata?.resourceVersion;
const holderOf = (lease: any): string => String(lease?.spec?.holderIdentity ?? 'unknown holder');

/** How long the holder's lease lasts after its last renewal, in ms. */
function durationMs(live: any): number {
  const seconds = Number(live.spec?.leaseDurationSeconds);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : LEASE_SECONDS) * 1000;
}

/** The holder ran on this host and its process is gone: nobody will renew the lease. */
function holderExited(live: any): boolean {
  const h = parseHolder(holderOf(live));
  return h !== undefined && h.host === hostname() && h.pid !== process.pid && !processAlive(h.pid);
}

/**
 * Refused: the lease this run saw held changed while it watched (`withinMs`: since the read before), or
 * went away (undefined: released): either way it was held, by a live run as a rule, while this run planned.
 */
function busy(live: any, withinMs?: number): MeshError {
  const when =
    withinMs === undefined
      ? 'lock released just now'
      : `renewed less than ${Math.max(1, Math.ceil(withinMs / 1000))}s ago`;
  return new MeshError(
    `another mesh run is changing this cluster: ${holderOf(live)} (since ${live.spec?.acquireTime ?? '?'}, ${when}); nothing was changed`,
    {
      hint:
        withinMs === undefined
          ? 're-run: the plan above was made while another run held the lock'
          : `wait until it finishes, then re-run; a run that died stops renewing it, and the next run takes it over once it has seen it go unrenewed for its duration (${LEASE_SECONDS}s for mesh; ${LOCK})`,
    },
  );
}

/**
 * Takes the lock (or throws naming who holds it), runs `fn`, and releases the lock whatever `fn` did. A
 * user who may not write Leases in kube-system is warned and goes on without it. `fn` gets a signal
 * aborted (reason: a MeshError) when the lock is lost, another run holding it: it should stop its
 * writes; the run then ends with an error whatever `fn` did. `signal` (Ctrl+C) ends waiting for the lock.
 */
export async function withInstallLock<T>(
  rest: KubeRest,
  what: string,
  fn: (lost: AbortSignal) => Promise<T>,
  opts: { signal?: AbortSignal } = {},
): Promise<T> {
  const identity = holderIdentity({ host: hostname(), pid: process.pid, what });
  const acquired = new Date();
  const lost = new AbortController();
  const taken = await acquire(rest, identity, acquired, opts.signal);
  if (!taken) return fn(lost.signal);
  let resourceVersion: string | undefined = taken;
  const intervalMs = (LEASE_SECONDS * 1000) / 4;
  /** One renewal; a conflict or a lost answer is settled by reading the lease again. */
  const renewOnce = async () => {
    const view = rest.until(Date.now() + intervalMs);
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await view
        .request('PUT', LEASE, leaseBody(identity, acquired, new Date(), resourceVersion))
        .catch(() => undefined); // no answer: it may have been stored
      // 201: someone deleted it and the PUT created it again, ours
      if (res?.status === 200 || res?.status === 201) {
        resourceVersion = versionOf(res.body) ?? resourceVersion;
        return;
      }
      if (res !== undefined && res.status !== 409 && res.status !== 404) return; // the next renewal tries again
      const live = await view.request('GET', LEASE);
      if (live.status === 404)
        resourceVersion = undefined; // deleted: the next PUT creates it again
      else if (live.status !== 200) return;
      else if (holderOf(live.body) === identity) resourceVersion = versionOf(live.body);
      else {
        lost.abort(
          new MeshError(
            `lost the install lock: ${LOCK} is now held by ${holderOf(live.body)}; this run stopped so that two runs do not change the cluster at once`,
          ),
        );
        return;
      }
    }
  };
  let renewing: Promise<void> | undefined;
  const renew = setInterval(() => {
    if (renewing || lost.signal.aborted) return; // the previous renewal still waits for an answer
    renewing = renewOnce()
      .catch(() => undefined) // the next renewal tries again; the lease outlives a few misses
      .finally(() => (renewing = undefined));
  }, intervalMs);
  renew.unref();
  let result: T;
  try {
    result = await fn(lost.signal);
  } catch (err) {
    const reason = lost.signal.reason as MeshError | undefined;
    if (reason && !describeError(err).includes(reason.message)) warn(`Warning: ${reason.message}`);
    throw err;
  } finally {
    clearInterval(renew);
    await release(rest, identity, renewing);
  }
  if (lost.signal.aborted) throw lost.signal.reason;
  return result;
}

/**
 * Deletes the lease if this run still holds it, within RELEASE_MS (after the renewal in flight, if any,
 * so that it does not create the lease again); says so when it cannot: the lease then lapses on its own.
 */
async function release(rest: KubeRest, identity: string, renewing?: Promise<void>): Promise<void> {
  const ms = Math.min(RELEASE_MS, rest.timeoutMs || RELEASE_MS);
  const deadline = Date.now() + ms;
  const view = rest.until(deadline);
  try {
    if (renewing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([renewing, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
    }
    const res = await view.request('GET', LEASE);
    if (res.status === 404 || (res.status === 200 && holderOf(res.body) !== identity)) return;
    if (res.status !== 200) throw apiError(res, `get ${LOCK}`);
    const del = await view.request('DELETE', LEASE, { preconditions: { uid: res.body.metadata?.uid } });
    if (del.status >= 300 && del.status !== 404) throw apiError(del, `delete ${LOCK}`);
  } catch (err) {
    const why = err instanceof WaitDeadlineError ? `no answer within ${ms / 1000}s` : describeError(err);
    warn(
      `Warning: could not release the install lock (${LOCK}): ${why}; it lapses on its own ${LEASE_SECONDS}s after its last renewal`,
    );
  }
}

/**
 * Creates the lease, or takes it over once it has lapsed: this run watched it for its whole duration
 * without seeing it change, or its holder ran on this host and has exited. A lease seen held that changes
 * or goes away meanwhile had a live holder: refused. The lease's resourceVersion once taken; undefined
 * when the user may not use Leases (warned).
 */
async function acquire(
  rest: KubeRest,
  identity: string,
  acquired: Date,
  signal?: AbortSignal,
): Promise<string | undefined> {
  /** The lease as first seen held, and when (by this machine's clock); the time of the last read. */
  let seen: { live: any; at: number } | undefined;
  let readAt = 0;
  let creates = 0;
  /** A create or takeover got no answer: it may have been stored (the next read tells). */
  let unsure = false;
  const write = (method: string, path: string, body: unknown) =>
    rest.request(method, path, body).catch(() => void (unsure = true));
  const take = async (): Promise<string | undefined> => {
    for (;;) {
      if (!seen) {
        if (creates++ >= MAX_CREATES)
          throw new MeshError(
            `cannot take the install lock: ${LOCK} was deleted each time after mesh found it held (${MAX_CREATES} times); nothing was changed`,
            { hint: 'another client keeps deleting it: re-run once that has stopped' },
          );
        const created = await write('POST', LEASES, leaseBody(identity, acquired, new Date()));
        if (created?.status === 201) return versionOf(created.body);
        if (created?.status === 403 || created?.status === 404) {
          warn(
            `Warning: cannot take the install lock (${LOCK}): ${describeError(apiError(created, 'create lease'))}; another mesh run at the same time would not be noticed`,
          );
          return undefined;
        }
        if (created && created.status !== 409) throw apiError(created, `create ${LOCK}`);
      }
      // after a write without answer, a server that answers nothing more is not waited for twice
      const res = await (unsure ? rest.until(Date.now() + RELEASE_MS) : rest).request('GET', LEASE);
      const now = Date.now();
      if (res.status === 404) {
        if (seen) throw busy(seen.live); // released by its holder
        continue; // deleted since it was found held: create it again
      }
      if (res.status !== 200) throw apiError(res, `get ${LOCK}`);
      const live = res.body;
      if (holderOf(live) === identity) return versionOf(live); // a write whose answer was lost
      // changed while watched (renewed, or taken by another run): its holder is alive
      if (seen && versionOf(live) !== versionOf(seen.live)) throw busy(live, now - readAt);
      readAt = now;
      if (!seen) {
        seen = { live, at: now };
        if (!holderExited(live))
          warn(
            `Waiting for the install lock: ${LOCK} is held by ${holderOf(live)} (since ${live.spec?.acquireTime ?? '?'}); mesh stops if it is renewed, and takes it over if not within ${durationMs(live) / 1000}s`,
          );
      }
      if (holderExited(live) || now >= seen.at + durationMs(live)) {
        const put = await write('PUT', LEASE, leaseBody(identity, acquired, new Date(), versionOf(live)));
        // 201: deleted meanwhile, and the PUT created it again
        if (put?.status === 200 || put?.status === 201) return versionOf(put.body);
        // 409: changed since it was read (renewed, or taken by another run): the next read says by whom
        if (put && put.status !== 409) throw apiError(put, `take over ${LOCK}`);
        continue;
      }
      try {
        await pause(Math.min(WATCH_MS, seen.at + durationMs(live) - now), signal);
      } catch (err) {
        throw new MeshError(`${describeError(err)}; nothing was changed`);
      }
    }
  };
  try {
    return await take();
  } catch (err) {
    // a create or takeover whose answer never came may have stored the lease: never leave it held
    if (unsure) await release(rest, identity);
    throw err;
  }
}
