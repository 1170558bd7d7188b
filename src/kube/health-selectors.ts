/**
 * Label selectors of admission webhooks (`namespaceSelector`, `objectSelector`), as the API server reads
 * them: whether one matches a set of labels, and how kubectl would write it.
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

/** Whether `selector` selects an object with `labels` (an empty or absent selector selects everything). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const key = String(e.key ?? '');
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // an operator the API server would have refused: select nothing rather than guess
        return false;
    }
  }
  return true;
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
