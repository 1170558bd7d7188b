/**
 * Kubernetes label maps and selectors, as the API server reads them.
 *
 * Selectors come in two shapes: a plain label map (Istio `workloadSelector.labels`, `selector.matchLabels`,
 * a Service `spec.selector`) and a Kubernetes LabelSelector (`matchLabels` + `matchExpressions`, used by
 * webhooks). Both treat an empty selector as "matches everything"; callers decide what a missing selector
 * means for them. Values are read tolerantly: the inputs may be any parsed document.
 */
import { isObject, setOwn, text } from '../util/values.js';

export type Labels = Readonly<Record<string, string>>;

/** A label value as a string (null counts as ''). */
function labelString(x: unknown): string {
  if (typeof x === 'string') return x;
  return x === null || x === undefined ? '' : text(x);
}

/** A label map as strings (non-maps give an empty map). */
export function labelMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) setOwn(out, k, labelString(v[k]));
  return out;
}

/** `labelMap(v)[key]` without building the map: the value as a string, undefined when the key is absent. */
export function labelValue(v: unknown, key: string): string | undefined {
  return isObject(v) && Object.prototype.hasOwnProperty.call(v, key) ? labelString(v[key]) : undefined;
}

/** Plain map selector: every key is present with the same value. An empty selector matches everything. */
export function labelsMatch(selector: unknown, labels: Labels): boolean {
  if (!isObject(selector)) return true;
  // Hot path (every selector against every workload): no intermediate objects.
  for (const k in selector) {
    if (!Object.prototype.hasOwnProperty.call(selector, k)) continue;
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== labelString(selector[k]))
      return false;
  }
  return true;
}

/** True when a plain map selector has no keys (absent, null or `{}`). */
export function isEmptyLabels(selector: unknown): boolean {
  if (!isObject(selector)) return true;
  for (const k in selector) if (Object.prototype.hasOwnProperty.call(selector, k)) return false;
  return true;
}

/**
 * Kubernetes LabelSelector (`matchLabels` and `matchExpressions` with In, NotIn, Exists, DoesNotExist).
 * An absent or empty selector matches everything; an unknown operator matches nothing (the API server
 * would reject it).
 */
export function selectorMatches(selector: unknown, labels: Labels): boolean {
  if (!isObject(selector)) return true;
  if (!labelsMatch(selector.matchLabels, labels)) return false;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of exprs) {
    if (!isObject(e) || typeof e.key !== 'string') return false;
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = Array.isArray(e.values) ? e.values.map(text) : [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `a=1,b=2`: a plain map selector as kubectl prints it (keys sorted). */
export function selectorString(selector: unknown): string {
  const labels = labelMap(selector);
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** The alphabetically first key of a plain map selector (the field istioctl points at), if any. */
export function firstSelectorKey(selector: unknown): string | undefined {
  return Object.keys(labelMap(selector)).sort()[0];
}

/** `key\0value` of a label, the key the indexes below file items under. */
function labelKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** The label key of a plain map selector's first entry; undefined when it has none (it matches everything). */
function firstSelectorLabel(selector: unknown): string | undefined {
  if (!isObject(selector)) return undefined;
  for (const k in selector)
    if (Object.prototype.hasOwnProperty.call(selector, k)) return labelKey(k, labelString(selector[k]));
  return undefined;
}

/**
 * Labelled items (workloads, endpoints) by each of their labels, so that the ones a plain map selector
 * matches are found among those carrying the selector's first label instead of among all of them.
 */
export class LabelIndex<T> {
  private readonly byLabel = new Map<string, T[]>();

  constructor(
    private readonly items: readonly T[],
    private readonly labelsOf: (item: T) => Labels,
  ) {
    for (const item of items) {
      const labels = labelsOf(item);
      for (const k of Object.keys(labels)) push(this.byLabel, labelKey(k, labels[k]!), item);
    }
  }

  /** The items `selector` matches (`labelsMatch`), in input order. */
  matching(selector: unknown): readonly T[] {
    const first = firstSelectorLabel(selector);
    if (first === undefined) return this.items;
    const candidates = this.byLabel.get(first) ?? [];
    return candidates.filter((item) => labelsMatch(selector, this.labelsOf(item)));
  }
}

/**
 * Items with a plain map selector (Services, policies) by their selector's first label, so that the ones
 * matching a label set are found among those filed under one of its labels instead of among all of them.
 */
export class SelectorIndex<T> {
  private readonly byFirstLabel = new Map<string, T[]>();
  /** Items whose selector is empty or absent: they match every label set. */
  private readonly matchAll: T[] = [];
  private readonly position = new Map<T, number>();

  constructor(
    items: readonly T[],
    private readonly selectorOf: (item: T) => unknown,
  ) {
    items.forEach((item, i) => {
      this.position.set(item, i);
      const first = firstSelectorLabel(selectorOf(item));
      if (first === undefined) this.matchAll.push(item);
      else push(this.byFirstLabel, first, item);
    });
  }

  /** The items whose selector matches `labels` (`labelsMatch`), in input order. */
  matching(labels: Labels): T[] {
    const out = [...this.matchAll];
    for (const k of Object.keys(labels)) {
      for (const item of this.byFirstLabel.get(labelKey(k, labels[k]!)) ?? [])
        if (labelsMatch(this.selectorOf(item), labels)) out.push(item);
    }
    return out.sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }
}

function push<T>(m: Map<string, T[]>, key: string, item: T): void {
  const list = m.get(key);
  if (list) list.push(item);
  else m.set(key, [item]);
}
