/** Gateway workloads: which pods (or pod templates) an Istio Gateway's `selector` runs on. */
import type { Resource } from '../../manifests/types.js';
import { joinPath } from '../../manifests/path.js';
import type { AnalysisContext, Workload } from '../types.js';
import { allContainers, isSynthetic } from '../util/labels.js';
import { firstSelectorKey, labelsMatch, selectorString } from '../../kube/labels.js';

const newSelectionCache = () => new Map<string, Workload[]>();

/** The selectable workloads (see AnalysisContext.selectable) the selector picks, in every namespace (memoized). */
export function selectedWorkloads(ctx: AnalysisContext, selector: unknown): Workload[] {
  const bySelector = ctx.shared(newSelectionCache);
  const key = selectorString(selector);
  let selected = bySelector.get(key);
  if (!selected)
    bySelector.set(key, (selected = ctx.selectable().filter((w) => labelsMatch(selector, w.labels))));
  return selected;
}

/** The namespace the gateway runs in: that of the first selected workload, preferring ones from the inputs. */
export function workloadNamespace(selected: readonly Workload[]): string | undefined {
  return (selected.find((w) => !isSynthetic(w.resource)) ?? selected[0])?.namespace;
}

/**
 * A gateway deployment as Istio's charts and docs write it: an `istio` label, the `gateway` injection
 * template, or an `istio-proxy` container with `image: auto`.
 */
export function looksLikeGateway(w: Workload): boolean {
  if (Object.prototype.hasOwnProperty.call(w.labels, 'istio')) return true;
  const templates = w.annotations['inject.istio.io/templates'] ?? '';
  if (templates.split(',').includes('gateway')) return true;
  return allContainers(w.podSpec).some((c) => c.name === 'istio-proxy' && c.image === 'auto');
}

/**
 * Reports that a Gateway's selector picks no workload (IST0101 `selector`). Offline that is only known
 * when the inputs deploy gateways themselves (or are a whole cluster); otherwise the gateway pods live in
 * another repository.
 */
export function reportSelectorNotFound(ctx: AnalysisContext, gw: Resource): void {
  const known = ctx.complete || ctx.workloads().some((w) => !isSynthetic(w.resource) && looksLikeGateway(w));
  if (!known) return;
  const selector = gw.spec?.selector;
  const key = firstSelectorKey(selector);
  ctx.report('IST0101', gw, ['selector', selectorString(selector)], {
    path: key === undefined ? 'spec.selector' : joinPath('spec.selector', key),
  });
}
