import { MeshError, describeError } from '../util/errors.js';
import { later, pause } from '../util/interrupt.js';
import { isDeadline } from '../util/duration.js';
import { objectRef } from '../install/manifest.js';
import type { K8sObject } from '../install/render.js';
import { revisionUsers, type RevisionUsers } from '../install/revision-users.js';
import { mapBounded } from '../util/bounded.js';
import { apiError, isTransient, WaitDeadlineError, type KubeRest } from './rest.js';

/** How long the reads of a poll may still take once the wait is interrupted. */
const POLL_GRACE_MS = 1000;
import { objectPath } from './resources.js';

/**
 * The cluster side of `mesh uninstall` beyond listing and deleting owned objects: who still uses the
 * revision, and waiting until the deleted objects are really gone.
 */

/** Namespaces and pods that still point at `revision` (the `removed` workloads' own pods excepted). */
export async function findRevisionUsers(
  rest: KubeRest,
  revision: string,
  removed: readonly K8sObject[],
): Promise<RevisionUsers> {
  const [namespaces, pods, hooks] = await Promise.all([
    rest.call('GET', '/api/v1/namespaces'),
    rest.call('GET', '/api/v1/pods'),
    rest.call(
      'GET',
      `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?labelSelector=${encodeURIComponent(`istio.io/tag,istio.io/rev=${revision}`)}`,
    ),
  ]);
  const tags = ((hooks.items ?? []) as Array<{ metadata?: { labels?: Record<string, string> } }>)
    .map((h) => h.metadata?.labels?.['istio.io/tag'])
    .filter((t): t is string => typeof t === 'string');
  return revisionUsers({
    revision,
    tags,
    namespaces: namespaces.items ?? [],
    pods: pods.items ?? [],
    removed,
  });
}

/** Why a deleted object is still there, or undefined when it is gone (or replaced by a new one). */
async function stillThere(rest: KubeRest, o: K8sObject): Promise<string | undefined> {
  const res = await rest.request('GET', objectPath(o));
  if (res.status === 404) return undefined;
  if (res.status < 200 || res.status >= 300) throw apiError(res, `GET ${objectRef(o)}`, true);
  const live = res.body;
  const uid = (o.metadata as { uid?: string }).uid;
  if (uid && live.metadata?.uid !== uid) return undefined;
  const finalizers: string[] = live.metadata?.finalizers ?? [];
  const why = finalizers.length > 0 ? `finalizers ${finalizers.join(', ')}` : 'no finalizers';
  return live.metadata?.deletionTimestamp ? `terminating, ${why}` : `not deleted yet, ${why}`;
}

/**
 * Polls until every deleted object is gone; after `timeoutMs` throws an error naming what is still
 * terminating and the finalizers that hold it. The wait ends then, its requests included (see
 * KubeRest.until), or at once when `opts.signal` aborts (see KubeRest.abortable). A transient failure
 * answer (see isTransient) is polled again, and named as the reason if the deadline comes first.
 */
export async function waitGone(
  rest: KubeRest,
  objects: readonly K8sObject[],
  opts: {
    timeoutMs: number;
    pollMs?: number;
    onWait?: (pending: string[]) => void;
    /** Aborted (reason: a MeshError): stop waiting, naming what is still there. */
    signal?: AbortSignal;
  },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  // interrupted mid-poll, the poll's reads get a moment to finish (on a server that answers, what is
  // left is then known), and a read that gets no answer is given up after it
  const r = rest.abortable(opts.signal && later(opts.signal, POLL_GRACE_MS));
  const capped = isDeadline(opts.timeoutMs) ? r.until(deadline) : r;
  let pending = [...objects];
  let left: Array<{ o: K8sObject; reason?: string }> = [];
  const stillThereError = () => {
    const shown = left.slice(0, 5).map((p) => `${objectRef(p.o)} (${p.reason})`);
    return new MeshError(
      `${left.length} deleted object(s) still there after ${opts.timeoutMs / 1000}s: ${shown.join('; ')}${left.length > shown.length ? `; and ${left.length - shown.length} more` : ''}`,
      {
        hint: 'a finalizer holds them until its controller finishes; check that controller, or wait longer with --wait',
      },
    );
  };
  /** Interrupted (polling or between polls): what is left, as far as known. */
  const interrupted = () => {
    const shown = pending.slice(0, 5).map(objectRef);
    return new MeshError(
      `${describeError(opts.signal?.reason)}: all ${objects.length} object(s) were deleted, ${pending.length} still terminating: ${shown.join(', ')}${pending.length > shown.length ? ', …' : ''}`,
    );
  };
  for (;;) {
    let late = false;
    const known = new Map(left.map((p) => [p.o, p.reason]));
    const reasons = await mapBounded(pending, 8, (o) =>
      stillThere(capped, o).catch((err: unknown) => {
        // interrupted and cut: not seen gone (those this poll saw gone are not named)
        if (opts.signal?.aborted) return known.get(o) ?? 'not seen gone yet';
        if (isTransient(err)) return err.message;
        if (!(err instanceof WaitDeadlineError)) throw err;
        late = true;
        return known.get(o) ?? err.message;
      }),
    );
    left = pending.map((o, i) => ({ o, reason: reasons[i] })).filter((p) => p.reason !== undefined);
    if (left.length === 0) return;
    pending = left.map((p) => p.o);
    if (opts.signal?.aborted) throw interrupted();
    if (late || Date.now() >= deadline) throw stillThereError();
    opts.onWait?.(pending.map(objectRef));
    await pause(Math.min(opts.pollMs ?? 500, deadline - Date.now()), opts.signal).catch(() =>
      Promise.reject(interrupted()),
    );
    if (Date.now() >= deadline) throw stillThereError();
  }
}
