import { MeshError, describeError } from '../util/errors.js';
import type { ReplicaAnswer } from '../proxy-status/status.js';
import { adsRequest } from './client.js';
import { openControlPlane, type ControlPlaneOptions } from './control-plane.js';

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
    return await Promise.all(
      cp.targets.map(async (t): Promise<ReplicaAnswer> => {
        try {
          const response = await adsRequest(t, typeUrl, resourceNames, {
            timeoutMs,
            namespace: o.istioNamespace,
          });
          return { replica: t.name, response: response as Record<string, unknown> };
        } catch (err) {
          return {
            replica: t.name,
            error: err instanceof MeshError ? err : new MeshError(`${t.name}: ${describeError(err)}`),
          };
        }
      }),
    );
  } finally {
    await cp.close();
  }
}
