import { joinPath } from '../../manifests/path.js';
import { defineAnalyzer, K, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { workloadsKnown, namespaceLookup, workloadInAmbient, workloadInMesh } from '../util/labels.js';
import { firstSelectorKey, LabelIndex, selectorString } from '../../kube/labels.js';
import { text } from '../../util/values.js';

/** `*`, `prefix*`, `*suffix` or an exact (case-insensitive) namespace name. */
export function namespaceMatches(expr: string, ns: string): boolean {
  if (expr === '*') return true;
  if (expr.startsWith('*')) return ns.endsWith(expr.slice(1));
  if (expr.endsWith('*')) return ns.startsWith(expr.slice(0, -1));
  return expr.toLowerCase() === ns.toLowerCase();
}

export default defineAnalyzer({
  name: 'auth.AuthorizationPoliciesAnalyzer',
  description: 'Finds AuthorizationPolicies that select no workload or name namespaces that do not exist',
  codes: ['IST0101', 'IST0127'],
  inputs: [K.MeshConfig, K.AuthorizationPolicy, K.Namespace, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const namespaces = namespaceLookup(ctx);
    // Workloads the policies can apply to: in the mesh with a sidecar, or captured by ambient.
    const inMesh = ctx
      .selectable()
      .filter((w) => workloadInAmbient(w) || workloadInMesh(w, namespaces, { unknownNamespace: true }));
    const inMeshByLabel = new LabelIndex(inMesh, (w) => w.labels);
    const inMeshOfNs = new Map<string, Workload[]>();
    for (const w of inMesh) {
      const list = inMeshOfNs.get(w.namespace);
      if (list) list.push(w);
      else inMeshOfNs.set(w.namespace, [w]);
    }
    const inMeshByNs = new Map<string, LabelIndex<Workload>>();
    inMeshOfNs.forEach((list, ns) => inMeshByNs.set(ns, new LabelIndex(list, (w) => w.labels)));
    const root = text(ctx.meshConfig.rootNamespace || 'istio-system');
    const nsNames = ctx.each(K.Namespace).map((n) => n.name);
    const checkNamespaces = ctx.has(K.Namespace);

    for (const ap of ctx.each(K.AuthorizationPolicy)) {
      const ns = ap.namespace ?? '';
      const selector = ap.spec?.selector?.matchLabels;
      const hasSelector = ap.spec?.selector != null;
      // Offline, "no workload" only means something when the inputs carry the workloads it could match.
      const known = workloadsKnown(ctx, ns === root ? undefined : ns);
      if (known) {
        const noWorkload = (selectorText: string) =>
          ctx.report('IST0127', ap, [selectorText], {
            path: hasSelector
              ? joinPath('spec.selector.matchLabels', firstSelectorKey(selector) ?? '')
              : 'metadata.namespace',
          });
        if (ns === root) {
          // A mesh-wide policy with a selector applies to matching workloads of every namespace.
          if (hasSelector && inMeshByLabel.matching(selector).length === 0)
            noWorkload(selectorString(selector));
        } else if (!hasSelector) {
          if (!inMeshByNs.has(ns)) noWorkload('');
        } else if ((inMeshByNs.get(ns)?.matching(selector).length ?? 0) === 0) {
          noWorkload(selectorString(selector));
        }
      }

      if (!checkNamespaces) continue;
      const rules = Array.isArray(ap.spec?.rules) ? ap.spec.rules : [];
      rules.forEach((rule: any, i: number) => {
        const froms = Array.isArray(rule?.from) ? rule.from : [];
        froms.forEach((from: any, j: number) => {
          for (const field of ['namespaces', 'notNamespaces']) {
            const list = Array.isArray(from?.source?.[field]) ? from.source[field] : [];
            list.forEach((expr: unknown, k: number) => {
              if (nsNames.some((n) => namespaceMatches(text(expr), n))) return;
              ctx.report('IST0101', ap, ['namespace', text(expr)], {
                path: `spec.rules[${i}].from[${j}].source.${field}[${k}]`,
              });
            });
          }
        });
      });
    }
  },
});
