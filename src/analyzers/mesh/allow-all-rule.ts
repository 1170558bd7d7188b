import { defineAnalyzer, K } from '../types.js';

function isEmptyList(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

/**
 * MSH1003: an ALLOW AuthorizationPolicy rule with no from, to or when matches every request, so every
 * other ALLOW rule for the same workloads is pointless. (A policy that is nothing but `rules: [{}]` is
 * the documented allow-all pattern; it is still reported, as a Warning, because it is so often a mistake.)
 */
export default defineAnalyzer({
  name: 'mesh.AllowAllRuleAnalyzer',
  description: 'Finds ALLOW AuthorizationPolicy rules that are empty and so allow every request',
  codes: ['MSH1003'],
  inputs: [K.AuthorizationPolicy],
  analyze(ctx) {
    for (const ap of ctx.each(K.AuthorizationPolicy)) {
      const action = ap.spec?.action ?? 'ALLOW';
      if (action !== 'ALLOW') continue;
      const rules: unknown[] = Array.isArray(ap.spec?.rules) ? ap.spec.rules : [];
      rules.forEach((rule, i) => {
        const r = (rule ?? {}) as Record<string, unknown>;
        if (typeof r !== 'object' || Array.isArray(r)) return;
        if (isEmptyList(r.from) && isEmptyList(r.to) && isEmptyList(r.when)) {
          ctx.report('MSH1003', ap, [`#${i}`], { path: `spec.rules[${i}]` });
        }
      });
    }
  },
});
