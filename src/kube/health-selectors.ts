/**
 * Label selectors of admission webhooks (`namespaceSelector`, `objectSelector`): how kubectl would write
 * one (whether one matches is labels.ts's selectorMatches), and which webhooks are Istio injectors.
 */

interface Requirement {
  key?: string;
  operator?: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Requirement[];
}

/** A selector as kubectl writes it (`istio-injection in (enabled),!istio.io/rev`); `everything` when empty. */
export function selectorText(selector: LabelSelector | undefined): string {
  const parts = [
    ...Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(selector?.matchExpressions ?? []).map((e) => {
      const values = `(${(e.values ?? []).join(',')})`;
      switch (e.operator) {
        case 'In':
          return `${e.key} in ${values}`;
        case 'NotIn':
          return `${e.key} notin ${values}`;
        case 'Exists':
          return String(e.key);
        case 'DoesNotExist':
          return `!${e.key}`;
        default:
          return `${e.key} ${e.operator} ${values}`;
      }
    }),
  ];
  return parts.length > 0 ? parts.join(',') : 'everything';
}

/** Whether a webhook is an Istio sidecar injector (`namespace.sidecar-injector.istio.io`, `rev.…`, tags). */
export const isInjectorWebhook = (w: { name?: unknown }): boolean =>
  /(^|\.)sidecar-injector\.istio\.io$/.test(String(w.name ?? ''));
