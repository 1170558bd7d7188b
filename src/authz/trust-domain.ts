/**
 * The mesh's trust domain and its aliases, applied to a policy's rules as istiod applies them before it
 * builds the RBAC filter (facts from istiod: pilot/pkg/security/trustdomain, and the model's
 * MigrateTrustDomain). The trust domains are the mesh config's `trustDomain` followed by its
 * `trustDomainAliases`.
 * - A principal `<td>/ns/<ns>/sa/<sa>` (five `/`-separated parts, `<td>` not `*`) whose trust domain is one
 *   of the trust domains (exactly, or as a `prefix*` / `*suffix` pattern either way round), or is
 *   `cluster.local`, becomes one principal per trust domain: `<td>` replaced by each, except that a trust
 *   domain ending with the principal's `*suffix` keeps the principal as written. So with trust domain
 *   `example.org`, a policy's `cluster.local/ns/a/sa/b` stands for `example.org/ns/a/sa/b` only. Any other
 *   principal is kept as written.
 * - A trust-domain value that is one of the trust domains becomes all of them.
 */

const CLUSTER_LOCAL = 'cluster.local';

const prefixMatch = (a: string, pattern: string) =>
  pattern.endsWith('*') && a.startsWith(pattern.slice(0, -1));
const suffixMatch = (a: string, pattern: string) => pattern.startsWith('*') && a.endsWith(pattern.slice(1));

function matchesAny(td: string, trustDomains: readonly string[]): boolean {
  return trustDomains.some(
    (s) =>
      td === s ||
      s === '*' ||
      prefixMatch(td, s) ||
      prefixMatch(s, td) ||
      suffixMatch(td, s) ||
      suffixMatch(s, td),
  );
}

/** A rule's principal values with the trust domain aliases in (duplicates dropped, order kept). */
export function principalsWithAliases(
  principals: readonly string[],
  trustDomains: readonly string[],
): string[] {
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  for (const principal of principals) {
    const parts = principal.split('/');
    const td = parts[0]!;
    if (parts.length !== 5 || td === '*' || !(td === CLUSTER_LOCAL || matchesAny(td, trustDomains))) {
      out.push(principal);
      continue;
    }
    for (const domain of trustDomains)
      add(suffixMatch(domain, td) ? principal : [domain, ...parts.slice(1)].join('/'));
  }
  return out;
}

/** A rule's trust-domain values with the aliases in (duplicates dropped, order kept). */
export function trustDomainsWithAliases(
  values: readonly string[],
  trustDomains: readonly string[],
): string[] {
  return [...new Set(values.flatMap((v) => (trustDomains.includes(v) ? trustDomains : [v])))];
}

const isList = (v: unknown): v is unknown[] => Array.isArray(v);

/**
 * A policy's rules as istiod reads them under these trust domains: `principals`/`notPrincipals` and the
 * `source.principal` condition's values, `trustDomains`/`notTrustDomains` and the `source.trustDomain`
 * condition's values. The rules given are not changed; the default trust domain alone changes nothing.
 */
export function rulesWithTrustDomains(rules: readonly any[], trustDomains: readonly string[]): any[] {
  const principals = (v: unknown) => (isList(v) ? principalsWithAliases(v.map(String), trustDomains) : v);
  const domains = (v: unknown) => (isList(v) ? trustDomainsWithAliases(v.map(String), trustDomains) : v);
  const withFields = (o: any, fields: Record<string, (v: unknown) => unknown>) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
    const copy = { ...o };
    for (const [name, f] of Object.entries(fields)) if (name in copy) copy[name] = f(copy[name]);
    return copy;
  };
  return rules.map((rule) => {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) return rule;
    const out = { ...rule };
    if (isList(rule.from))
      out.from = rule.from.map((f: any) =>
        f !== null && typeof f === 'object' && !Array.isArray(f)
          ? {
              ...f,
              source: withFields(f.source, {
                principals,
                notPrincipals: principals,
                trustDomains: domains,
                notTrustDomains: domains,
              }),
            }
          : f,
      );
    if (isList(rule.when))
      out.when = rule.when.map((c: any) =>
        c?.key === 'source.principal'
          ? withFields(c, { values: principals, notValues: principals })
          : c?.key === 'source.trustDomain'
            ? withFields(c, { values: domains, notValues: domains })
            : c,
      );
    return out;
  });
}
