import type { KubeApi } from './api.js';

/**
 * The API server client of a kubeconfig (and context), made on first need: commands that may not need a
 * cluster at all load no Kubernetes client until then.
 */
export function lazyKubeApi(
  o: { kubeconfig?: string; context?: string },
  timeoutMs: number,
): () => Promise<KubeApi> {
  let api: Promise<KubeApi> | undefined;
  return () =>
    (api ??= (async () => {
      const { loadKubeContext } = await import('./config.js');
      const { KubeApi } = await import('./api.js');
      return new KubeApi(loadKubeContext({ kubeconfig: o.kubeconfig, context: o.context }), timeoutMs);
    })());
}
