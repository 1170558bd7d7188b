import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K } from '../types.js';
import { INJECTION_LABEL, REVISION_LABEL, SIDECAR_INJECT } from '../util/labels.js';
import { labelMap, labelValue, selectorMatches, type Labels } from '../../kube/labels.js';
import { text } from '../../util/values.js';

interface Hook {
  config: Resource;
  index: number;
  /** `<configuration>/<webhook>` */
  id: string;
  spec: any;
}

/** Revisions a webhook configuration serves: its istio.io/rev label and revision selectors. */
export function revisionsOf(config: Resource, hooks: any[]): string[] {
  const revs = new Set<string>();
  const own = labelMap(config.metadata.labels)[REVISION_LABEL];
  if (own !== undefined) revs.add(own);
  for (const h of hooks) {
    for (const sel of [h?.namespaceSelector, h?.objectSelector]) {
      const fromLabels = sel?.matchLabels?.[REVISION_LABEL];
      if (fromLabels !== undefined) revs.add(text(fromLabels));
      for (const e of Array.isArray(sel?.matchExpressions) ? sel.matchExpressions : [])
        if (e?.key === REVISION_LABEL && Array.isArray(e.values))
          e.values.forEach((v: unknown) => revs.add(text(v)));
    }
  }
  return [...revs];
}

/** `base` alone and with each revision label added. */
export function withRevisions(
  base: Array<Record<string, string>>,
  revisions: string[],
): Array<Record<string, string>> {
  return [...base, ...revisions.flatMap((rev) => base.map((b) => ({ ...b, [REVISION_LABEL]: rev })))];
}

/**
 * The revisions whose label sets can be told apart: those some selector compares istio.io/rev with, and
 * one stand-in (the first) for all the others, which every selector treats alike (it checks the label's
 * presence, or its value against values it names).
 */
function distinctRevisions(hooks: readonly Hook[], revisions: Iterable<string>): string[] {
  const named = new Set<string>();
  for (const h of hooks) {
    for (const sel of [h.spec?.namespaceSelector, h.spec?.objectSelector]) {
      // the strings selectorMatches compares the label's value with
      const value = labelValue(sel?.matchLabels, REVISION_LABEL);
      if (value !== undefined) named.add(value);
      for (const e of Array.isArray(sel?.matchExpressions) ? sel.matchExpressions : [])
        if (e?.key === REVISION_LABEL && Array.isArray(e.values))
          e.values.forEach((v: unknown) => named.add(text(v)));
    }
  }
  const out: string[] = [];
  let standIn = false;
  for (const rev of revisions) {
    if (named.has(rev)) out.push(rev);
    else if (!standIn) {
      standIn = true;
      out.push(rev);
    }
  }
  return out;
}

/**
 * The distinct groups of hooks (ascending positions in the hook list) whose selector (`selectorOf`) matches
 * one of `labelSets`. Groups of fewer than two hooks are left out: they cannot overlap.
 */
function groupsOf(hooks: readonly Hook[], labelSets: Labels[], selectorOf: (h: Hook) => unknown): number[][] {
  const groups = new Map<string, number[]>();
  for (const labels of labelSets) {
    const members: number[] = [];
    hooks.forEach((h, i) => {
      if (selectorMatches(selectorOf(h), labels)) members.push(i);
    });
    if (members.length >= 2) groups.set(members.join(','), members);
  }
  return [...groups.values()];
}

/**
 * The distinct sets of two or more hooks that a namespace label set and a pod label set both let through.
 * A pair's set is the intersection of the namespace set's group and the pod set's group, so only distinct
 * groups are intersected: walking a namespace group's members through the pod groups each belongs to.
 * (Their order does not matter: a configuration's name is unique, so the findings sort on their text.)
 */
function overlaps(hooks: readonly Hook[], nsLabelSets: Labels[], podLabelSets: Labels[]): number[][] {
  const podGroups = groupsOf(hooks, podLabelSets, (h) => h.spec?.objectSelector);
  const podGroupsOf: number[][] = hooks.map(() => []);
  podGroups.forEach((g, gi) => g.forEach((i) => podGroupsOf[i]!.push(gi)));
  const found = new Map<string, number[]>();
  for (const ns of groupsOf(hooks, nsLabelSets, (h) => h.spec?.namespaceSelector)) {
    const shared = new Map<number, number[]>();
    for (const i of ns) {
      for (const gi of podGroupsOf[i]!) {
        const members = shared.get(gi);
        if (members) members.push(i);
        else shared.set(gi, [i]);
      }
    }
    for (const members of shared.values()) if (members.length >= 2) found.set(members.join(','), members);
  }
  return [...found.values()];
}

/** For each member of an overlap, the ids of the others, sorted and space-separated (istioctl's list). */
function othersOf(hooks: readonly Hook[], members: number[]): string[] {
  const ids = members.map((i) => hooks[i]!.id).sort();
  const all = ids.join(' ');
  // where each id first starts in `all`: cutting it out (with one space) leaves the others, still sorted
  const start = new Map<string, number>();
  let at = 0;
  for (const id of ids) {
    if (!start.has(id)) start.set(id, at);
    at += id.length + 1;
  }
  return members.map((i) => {
    const id = hooks[i]!.id;
    const s = start.get(id)!;
    return s === 0 ? all.slice(id.length + 1) : all.slice(0, s - 1) + all.slice(s + id.length);
  });
}

export default defineAnalyzer({
  name: 'webhook.Analyzer',
  description: 'Finds injector webhooks that overlap (double injection) or call a missing Service',
  codes: ['IST0139'],
  inputs: [K.MutatingWebhookConfiguration, K.Service],
  analyze(ctx) {
    const hooks: Hook[] = [];
    const revisions = new Set<string>();
    for (const config of ctx.each(K.MutatingWebhookConfiguration)) {
      const list = Array.isArray(config.body.webhooks) ? config.body.webhooks : [];
      const revs = revisionsOf(config, list);
      const istio = list.some((h: any) => typeof h?.name === 'string' && h.name.endsWith('istio.io'));
      if (revs.length === 0 && !istio) continue;
      revs.forEach((r) => revisions.add(r));
      list.forEach((spec: any, index: number) =>
        hooks.push({ config, index, id: `${config.name}/${text(spec?.name ?? '')}`, spec }),
      );
    }

    // Every combination of namespace and pod labels that drives injection must reach at most one injector.
    // istioctl reports, for each combination two or more reach, each of them with the others; repeats
    // collapse. The same findings come from the distinct sets of injectors the combinations reach, found
    // without trying every combination (their number grows with the square of the revisions).
    const distinct = distinctRevisions(hooks, revisions);
    const nsLabelSets = withRevisions(
      [{}, { [INJECTION_LABEL]: 'enabled' }, { [INJECTION_LABEL]: 'disabled' }],
      distinct,
    );
    const podLabelSets = withRevisions(
      [{}, { [SIDECAR_INJECT]: 'true' }, { [SIDECAR_INJECT]: 'false' }],
      distinct,
    );
    for (const members of overlaps(hooks, nsLabelSets, podLabelSets)) {
      const others = othersOf(hooks, members);
      members.forEach((i, k) => {
        const h = hooks[i]!;
        // (istioctl's wording, so reports and suppressions carry over.)
        ctx.report(
          'IST0139',
          h.config,
          [`Webhook overlaps with others: [${others[k]}]. This may cause injection to occur twice.`],
          { path: `webhooks[${h.index}].name` },
        );
      });
    }

    // Offline the control-plane Services may simply not be among the inputs.
    if (!ctx.has(K.Service)) return;
    for (const h of hooks) {
      const svc = h.spec?.clientConfig?.service;
      // (a service without a name is refused by the API server; nothing names a Service to look for)
      if (!svc || typeof svc.name !== 'string' || svc.name === '') continue;
      if (ctx.get(K.Service, text(svc.namespace ?? ''), text(svc.name ?? ''))) continue;
      ctx.report(
        'IST0139',
        h.config,
        [
          `Injector refers to a control plane service that does not exist: ${text(svc.namespace)}/${text(svc.name)}.`,
        ],
        { path: `webhooks[${h.index}].clientConfig.service.name` },
      );
    }
  },
});
