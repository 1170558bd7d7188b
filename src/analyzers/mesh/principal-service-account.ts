import { defineAnalyzer, K, WORKLOAD_INPUTS } from '../types.js';
import { text } from '../../util/values.js';

const PRINCIPAL = /^[^/*]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/;

/**
 * MSH1005: an AuthorizationPolicy principal `<trust-domain>/ns/<ns>/sa/<sa>` naming a ServiceAccount that
 * no manifest defines and no workload runs as. Only for namespaces the inputs say something about (they
 * hold ServiceAccounts or workloads there); the `default` ServiceAccount always exists.
 */
export default defineAnalyzer({
  name: 'mesh.PrincipalServiceAccountAnalyzer',
  description: 'Checks that AuthorizationPolicy principals name ServiceAccounts that exist in the inputs',
  codes: ['MSH1005'],
  inputs: [K.AuthorizationPolicy, K.ServiceAccount, ...WORKLOAD_INPUTS],
  analyze(ctx) {
    const known = new Set<string>();
    const covered = new Set<string>();
    for (const sa of ctx.each(K.ServiceAccount)) {
      known.add(`${sa.namespace}/${sa.name}`);
      covered.add(sa.namespace ?? '');
    }
    for (const w of ctx.workloads()) {
      if (w.resource.origin.docIndex < 0) continue; // synthetic default ingress gateway
      known.add(
        `${w.namespace}/${text(w.podSpec?.serviceAccountName ?? w.podSpec?.serviceAccount ?? 'default')}`,
      );
      covered.add(w.namespace);
    }
    for (const ap of ctx.each(K.AuthorizationPolicy)) {
      const rules: any[] = Array.isArray(ap.spec?.rules) ? ap.spec.rules : [];
      rules.forEach((rule, i) => {
        const from: any[] = Array.isArray(rule?.from) ? rule.from : [];
        from.forEach((f, j) => {
          const principals: unknown[] = Array.isArray(f?.source?.principals) ? f.source.principals : [];
          principals.forEach((p, k) => {
            if (typeof p !== 'string') return;
            const m = PRINCIPAL.exec(p);
            if (!m) return;
            const ns = m[1]!;
            const sa = m[2]!;
            if (sa === 'default' || !covered.has(ns) || known.has(`${ns}/${sa}`)) return;
            ctx.report('MSH1005', ap, [p, ns, sa], {
              path: `spec.rules[${i}].from[${j}].source.principals[${k}]`,
            });
          });
        });
      });
    }
  },
});
