import { MeshError, describeError } from '../util/errors.js';
import type { ReplicaAnswer } from '../proxy-status/status.js';
import { adsRequest, type XdsTarget } from './client.js';
import { openControlPlane, type ControlPlaneOptions } from './control-plane.js';

/**
 * Sends one debug request to each of `targets` at once and returns each one's answer or error (naming
 * the replica), in replica order.
 */
export function askTargets(
  targets: XdsTarget[],
  namespace: string,
  typeUrl: string,
  resourceNames: string[],
  timeoutMs: number,
): Promise<ReplicaAnswer[]> {
  return Promise.all(
    targets.map(async (t): Promise<ReplicaAnswer> => {
      try {
        const response = await adsRequest(t, typeUrl, resourceNames, { timeoutMs, namespace });
        return { replica: t.name, response: response as Record<string, unknown> };
      } catch (err) {
        return {
          replica: t.name,
          error: err instanceof MeshError ? err : new MeshError(`${t.name}: ${describeError(err)}`),
        };
      }
    }),
  );
}

/** Asks replicas one debug request: every replica, or those named in `only`. */
export type AskReplicas = (
  typeUrl: string,
  resourceNames: string[],
  only?: string[],
) => Promise<ReplicaAnswer[]>;

/**
 * Opens the control plane, runs `fn` with a way to ask its replicas debug requests (each answer or
 * error naming the replica, in replica order), and closes it. Errors reaching the cluster are thrown.
 */
export async function withEveryReplica<T>(
  o: ControlPlaneOptions,
  timeoutMs: number,
  fn: (ask: AskReplicas) => Promise<T>,
): Promise<T> {
  const cp = await openControlPlane(o);
  try {
    return await fn((typeUrl, resourceNames, only) =>
      askTargets(
        only ? cp.targets.filter((t) => only.includes(t.name)) : cp.targets,
        o.istioNamespace,
        typeUrl,
        resourceNames,
        timeoutMs,
      ),
    );
  } finally {
    await cp.close();
  }
}

/**
 * Sends the same debug request to every control-plane replica at once and returns each one's answer or
 * error (naming the replica), in replica order. Errors reaching the cluster itself are thrown.
 */
export function askEveryReplica(
  o: ControlPlaneOptions,
  typeUrl: string,
  resourceNames: string[],
  timeoutMs: number,
): Promise<ReplicaAnswer[]> {
  return withEveryReplica(o, timeoutMs, (ask) => ask(typeUrl, resourceNames));
}
