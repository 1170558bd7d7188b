/** Reading the sidecar injector's ConfigMap (`istio-sidecar-injector[-<revision>]` in the Istio namespace). */
import type { Resource } from '../../manifests/types.js';
import { K, type AnalysisContext } from '../types.js';
import { text } from '../../util/values.js';

/** Name of the injector ConfigMap of a revision (`default` and no revision share the plain name). */
export function injectorConfigMapName(revision: string): string {
  return revision === '' || revision === 'default'
    ? 'istio-sidecar-injector'
    : `istio-sidecar-injector-${revision}`;
}

export function injectorConfigMap(ctx: AnalysisContext, revision: string): Resource | undefined {
  return ctx.get(K.ConfigMap, ctx.istioNamespace, injectorConfigMapName(revision));
}

/** The Helm values the injector renders its template with (`data.values`, JSON); undefined when unreadable. */
export function injectorValues(cm: Resource): Record<string, any> | undefined {
  const raw = cm.body.data?.values;
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The proxy image the injector adds: `global.proxy.image` when it is a full reference, else hub/image:tag. */
export function injectedProxyImage(values: Record<string, any>): string {
  const image = text(values.global?.proxy?.image ?? '');
  if (image.includes('/')) return image;
  return `${values.global?.hub ?? ''}/${image}:${values.global?.tag ?? ''}`;
}
