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

/**
 * Sends the same debug request to every control-plane replica at once and returns each one's answer or
 * error (naming the replica), in replica order. Errors reaching the cluster itself are thrown.
 */
export async function askEveryReplica(
  o: ControlPlaneOptions,
  typeUrl: string,
  resourceNames: string[],
  timeoutMs: number,
): Promise<ReplicaAnswer[]> {
  const cp = await openControlPlane(o);
  try {
    return await askTargets(cp.targets, o.istioNamespace, typeUrl, resourceNames, timeoutMs);
  } finally {
    await cp.close();
  }
}
