import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { evaluate, toPolicies, type AuthzRequest, type PolicyNote } from '../../../src/authz/evaluate.js';

function policies(yaml: string, notes: PolicyNote[] = []) {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(yaml, 'p.yaml', resources, problems);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return toPolicies(resources, notes);
}

const ap = (name: string, ns: string, spec: string, annotations = '') => `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: ${ns}${annotations}
spec:
${spec
  .split('\n')
  .map((l) => '  ' + l)
  .join('\n')}
`;

function req(o: Partial<AuthzRequest> & { labels?: Record<string, string>; ns?: string } = {}): AuthzRequest {
  return {
    source: o.source ?? { principal: 'spiffe://cluster.local/ns/shop/sa/web', ip: '10.0.0.7' },
    destination: o.destination ?? {
      namespace: o.ns ?? 'shop',
      labels: o.labels ?? { app: 'api' },
      port: 8080,
    },
    protocol: o.protocol ?? 'http',
    method: o.method ?? 'GET',
    path: o.path ?? '/',
    host: o.host,
    headers: o.headers ?? {},
    auth: o.auth,
    sni: o.sni,
  };
}

describe('evaluation order', () => {
  it('no policy: allowed by default', () => {
    const e = evaluate([], req(), 'istio-system');
    expect(e.decision).toBe('ALLOW');
    expect(e.by).toBeUndefined();
    expect(e.reason).toContain('allowed by default');
  });

  it('an empty ALLOW policy (spec: {}) denies everything for the selected workloads', () => {
    const p = policies(ap('deny-all', 'shop', '{}'));
    expect(evaluate(p, req(), 'istio-system').decision).toBe('DENY');
    expect(evaluate(p, req({ ns: 'other' }), 'istio-system').decision).toBe('ALLOW');
  });

  it('an empty rule allows everything; DENY wins over ALLOW', () => {
    const p = policies(
      ap('allow-all', 'shop', 'rules:\n- {}') +
        ap('no-delete', 'shop', 'action: DENY\nrules:\n- to:\n  - operation:\n      methods: [DELETE]'),
    );
    expect(evaluate(p, req({ method: 'GET' }), 'istio-system')).toMatchObject({
      decision: 'ALLOW',
      by: { action: 'ALLOW', policy: 'shop/allow-all', rule: 0 },
    });
    expect(evaluate(p, req({ method: 'DELETE' }), 'istio-system')).toMatchObject({
      decision: 'DENY',
      by: { action: 'DENY', policy: 'shop/no-delete', rule: 0 },
      reason: 'denied by DENY shop/no-delete rules[0]',
    });
  });

  it('root-namespace policies apply everywhere; selectors narrow by labels', () => {
    const p = policies(
      ap(
        'mesh-deny',
        'istio-system',
        'action: DENY\nrules:\n- to:\n  - operation:\n      paths: ["/admin*"]',
      ) +
        ap(
          'api-only',
          'shop',
          'selector:\n  matchLabels: {app: api}\nrules:\n- to:\n  - operation:\n      paths: ["/v1/*"]',
        ),
    );
    expect(evaluate(p, req({ ns: 'elsewhere', path: '/admin/x' }), 'istio-system').decision).toBe('DENY');
    expect(evaluate(p, req({ ns: 'elsewhere', path: '/admin/x' }), 'mesh-root').decision).toBe('ALLOW');
    expect(evaluate(p, req({ labels: { app: 'api' }, path: '/v2/x' }), 'istio-system').decision).toBe('DENY');
    expect(evaluate(p, req({ labels: { app: 'web' }, path: '/v2/x' }), 'istio-system').decision).toBe(
      'ALLOW',
    );
  });

  it('CUSTOM sends allowed requests to the provider; a DENY still wins', () => {
    const p = policies(
      ap(
        'ext',
        'shop',
        'action: CUSTOM\nprovider:\n  name: opa\nrules:\n- to:\n  - operation:\n      paths: ["/pay*"]',
      ) +
        ap(
          'deny-bad',
          'shop',
          'action: DENY\nrules:\n- when:\n  - key: request.headers[x-bad]\n    values: ["1"]',
        ),
    );
    const custom = evaluate(p, req({ path: '/pay/1' }), 'istio-system');
    expect(custom.decision).toBe('CUSTOM');
    expect(custom.by).toEqual({ action: 'CUSTOM', policy: 'shop/ext', rule: 0, provider: 'opa' });
    const denied = evaluate(p, req({ path: '/pay/1', headers: { 'x-bad': '1' } }), 'istio-system');
    expect(denied.decision).toBe('DENY');
    expect(denied.custom?.policy).toBe('shop/ext');
  });

  it('AUDIT and dry-run policies are reported but never decide', () => {
    const p = policies(
      ap('audit-all', 'shop', 'action: AUDIT\nrules:\n- {}') +
        ap('trial', 'shop', 'action: DENY\nrules:\n- {}', '\n  annotations:\n    istio.io/dry-run: "true"'),
    );
    const e = evaluate(p, req(), 'istio-system');
    expect(e.decision).toBe('ALLOW');
    expect(e.audit).toEqual([{ action: 'AUDIT', policy: 'shop/audit-all', rule: 0 }]);
    expect(e.dryRun).toEqual([{ action: 'DENY', policy: 'shop/trial', rule: 0 }]);
  });
});

describe('sources, operations and conditions', () => {
  const one = (rule: string) => policies(ap('p', 'shop', `rules:\n${rule}`));
  const allowed = (rule: string, r: AuthzRequest) =>
    evaluate(one(rule), r, 'istio-system').decision === 'ALLOW';

  it('principals accept the SPIFFE form or not, with wildcards; namespaces come from the principal', () => {
    const rule = '- from:\n  - source:\n      principals: ["cluster.local/ns/shop/sa/*"]';
    expect(allowed(rule, req())).toBe(true);
    expect(allowed(rule, req({ source: { principal: 'cluster.local/ns/other/sa/web' } }))).toBe(false);
    expect(allowed(rule, req({ source: {} }))).toBe(false);
    const ns = '- from:\n  - source:\n      namespaces: ["shop"]';
    expect(allowed(ns, req())).toBe(true);
    expect(allowed(ns, req({ source: { namespace: 'shop' } }))).toBe(true);
    expect(allowed('- from:\n  - source:\n      notPrincipals: ["*"]', req({ source: {} }))).toBe(true);
  });

  it('from entries are ORed, fields inside one entry ANDed', () => {
    const rule =
      '- from:\n  - source:\n      namespaces: ["a"]\n      ipBlocks: ["10.0.0.0/8"]\n  - source:\n      ipBlocks: ["192.168.0.0/16"]';
    expect(allowed(rule, req({ source: { namespace: 'a', ip: '10.1.1.1' } }))).toBe(true);
    expect(allowed(rule, req({ source: { namespace: 'b', ip: '10.1.1.1' } }))).toBe(false);
    expect(allowed(rule, req({ source: { ip: '192.168.3.4' } }))).toBe(true);
  });

  it('remoteIpBlocks use the original client address, falling back to the peer', () => {
    const rule = '- from:\n  - source:\n      remoteIpBlocks: ["1.2.3.0/24"]';
    expect(allowed(rule, req({ source: { ip: '10.0.0.1', remoteIp: '1.2.3.4' } }))).toBe(true);
    expect(allowed(rule, req({ source: { ip: '10.0.0.1' } }))).toBe(false);
  });

  it('operations: hosts, ports, methods, paths and their negations', () => {
    const rule =
      '- to:\n  - operation:\n      hosts: ["api.example.com"]\n      ports: ["8080"]\n      methods: ["GET"]\n      notPaths: ["/private/*"]';
    expect(allowed(rule, req({ host: 'API.example.com', path: '/public' }))).toBe(true);
    // the port is part of :authority, which Istio matches whole
    expect(allowed(rule, req({ host: 'api.example.com:8080', path: '/public' }))).toBe(false);
    expect(allowed(rule, req({ host: 'api.example.com', path: '/private/x' }))).toBe(false);
    expect(allowed(rule, req({ host: 'api.example.com', method: 'POST' }))).toBe(false);
    expect(
      allowed(
        rule,
        req({ host: 'api.example.com', destination: { namespace: 'shop', labels: {}, port: 9090 } }),
      ),
    ).toBe(false);
  });

  it('JWT: requestPrincipals, audiences, presenter and (nested, list) claims', () => {
    const rule = [
      '- from:',
      '  - source:',
      '      requestPrincipals: ["https://idp/*"]',
      '  when:',
      '  - key: request.auth.claims[groups]',
      '    values: ["admin"]',
      '  - key: request.auth.claims[org][team]',
      '    values: ["core"]',
      '  - key: request.auth.audiences',
      '    values: ["shop"]',
      '  - key: request.auth.presenter',
      '    notValues: ["bad-client"]',
    ].join('\n');
    const auth = {
      principal: 'https://idp/alice',
      audiences: ['x', 'shop'],
      presenter: 'web',
      claims: { groups: ['dev', 'admin'], org: { team: 'core' } },
    };
    expect(allowed(rule, req({ auth }))).toBe(true);
    expect(allowed(rule, req({ auth: { ...auth, claims: { groups: 'dev', org: { team: 'core' } } } }))).toBe(
      false,
    );
    expect(allowed(rule, req({ auth: { ...auth, presenter: 'bad-client' } }))).toBe(false);
    expect(allowed(rule, req())).toBe(false);
  });

  it('JWT claims: scope and permission are split on spaces (top level only), as istiod has Envoy do', () => {
    const when = (claim: string, values: string) =>
      `- when:\n  - key: request.auth.claims${claim}\n    values: ${values}`;
    const auth = (claims: Record<string, unknown>) => req({ auth: { principal: 'iss/alice', claims } });
    expect(allowed(when('[scope]', '["orders:read"]'), auth({ scope: 'orders:read orders:write' }))).toBe(
      true,
    );
    expect(
      allowed(when('[scope]', '["orders:write"]'), auth({ scope: '  orders:read  orders:write ' })),
    ).toBe(true);
    expect(allowed(when('[permission]', '["b"]'), auth({ permission: 'a b' }))).toBe(true);
    // the whole string is no longer one of the values; other claims and nested ones are not split
    expect(allowed(when('[scope]', '["a b"]'), auth({ scope: 'a b' }))).toBe(false);
    expect(allowed(when('[roles]', '["a"]'), auth({ roles: 'a b' }))).toBe(false);
    expect(allowed(when('[roles]', '["a b"]'), auth({ roles: 'a b' }))).toBe(true);
    expect(allowed(when('[org][scope]', '["a"]'), auth({ org: { scope: 'a b' } }))).toBe(false);
    // a scope of spaces only stays as it is (Envoy splits it into nothing and leaves the string)
    expect(allowed(when('[scope]', '["*"]'), auth({ scope: '  ' }))).toBe(true);
  });

  it("JWT claims: only strings (or strings in a list) match, as in Envoy's string matcher", () => {
    const values = (claim: string, v: string) =>
      `- when:\n  - key: request.auth.claims[${claim}]\n    values: ${v}`;
    const notValues = (claim: string, v: string) =>
      `- when:\n  - key: request.auth.claims[${claim}]\n    notValues: ${v}`;
    const auth = (claims: Record<string, unknown>) => req({ auth: { principal: 'iss/alice', claims } });
    expect(allowed(values('email_verified', '["true"]'), auth({ email_verified: true }))).toBe(false);
    expect(allowed(values('email_verified', '["true"]'), auth({ email_verified: 'true' }))).toBe(true);
    expect(allowed(values('level', '["5"]'), auth({ level: 5 }))).toBe(false);
    expect(allowed(values('level', '["*"]'), auth({ level: 5 }))).toBe(false);
    expect(allowed(values('groups', '["true"]'), auth({ groups: [true, 'admin'] }))).toBe(false);
    expect(allowed(values('groups', '["admin"]'), auth({ groups: [true, 'admin'] }))).toBe(true);
    // notValues: a claim that cannot match is not one of them
    expect(allowed(notValues('email_verified', '["true"]'), auth({ email_verified: true }))).toBe(true);
    expect(allowed(notValues('email_verified', '["true"]'), auth({ email_verified: 'true' }))).toBe(false);
  });

  it('notes a RequestAuthentication that splits more claims than scope and permission', () => {
    const notes: PolicyNote[] = [];
    policies(
      [
        'apiVersion: security.istio.io/v1',
        'kind: RequestAuthentication',
        'metadata: {name: jwt, namespace: shop}',
        'spec:',
        '  jwtRules:',
        '  - issuer: iss',
        '    spaceDelimitedClaims: [roles, scope]',
        '',
      ].join('\n'),
      notes,
    );
    expect(notes).toEqual([
      {
        origin: 'p.yaml:1',
        message:
          'jwt: spaceDelimitedClaims roles are not split here (only scope and permission are); write such ' +
          'claims as lists in the cases',
      },
    ]);
  });

  it('conditions on IPs, ports, SNI, namespaces and headers (case-insensitive names)', () => {
    const rule = [
      '- when:',
      '  - key: source.ip',
      '    values: ["10.0.0.0/24"]',
      '  - key: destination.port',
      '    values: ["8080"]',
      '  - key: source.namespace',
      '    values: ["sh*"]',
      '  - key: request.headers[X-Tenant]',
      '    values: ["acme"]',
      '  - key: connection.sni',
      '    notValues: ["evil.example.com"]',
    ].join('\n');
    expect(allowed(rule, req({ headers: { 'x-tenant': 'acme' } }))).toBe(true);
    expect(allowed(rule, req({ headers: { 'x-tenant': 'other' } }))).toBe(false);
    expect(allowed(rule, req({ headers: { 'x-tenant': 'acme' }, sni: 'evil.example.com' }))).toBe(false);
  });

  it('unknown condition keys never match and are collected', () => {
    const keys = new Set<string>();
    const e = evaluate(
      one('- when:\n  - key: experimental.envoy.filters.x\n    values: ["1"]'),
      req(),
      'istio-system',
      keys,
    );
    expect(e.decision).toBe('DENY');
    expect([...keys]).toEqual(['experimental.envoy.filters.x']);
  });

  it('TCP: ALLOW rules with HTTP-only fields match nothing; DENY rules ignore those fields', () => {
    const p = policies(
      ap(
        'allow-get',
        'shop',
        'rules:\n- to:\n  - operation:\n      methods: ["GET"]\n      ports: ["5432"]',
      ) +
        ap(
          'deny-9000',
          'shop',
          'action: DENY\nrules:\n- to:\n  - operation:\n      methods: ["POST"]\n      ports: ["9000"]',
        ),
    );
    const tcp = (port: number) =>
      req({ protocol: 'tcp', destination: { namespace: 'shop', labels: {}, port } });
    expect(evaluate(p, tcp(5432), 'istio-system').decision).toBe('DENY');
    const e = evaluate(p, tcp(9000), 'istio-system');
    expect(e.by).toEqual({ action: 'DENY', policy: 'shop/deny-9000', rule: 0, httpFieldsIgnored: true });
    expect(e.reason).toBe('denied by DENY shop/deny-9000 rules[0] (HTTP-only fields ignored for TCP)');
  });
});

describe('toPolicies', () => {
  it('skips and notes what cannot apply to workloads, and flags invalid path templates', () => {
    const notes: PolicyNote[] = [];
    const p = policies(
      ap(
        'gw',
        'shop',
        'targetRefs:\n- kind: Gateway\n  group: gateway.networking.k8s.io\n  name: gw\nrules:\n- {}',
      ) +
        ap('odd', 'shop', 'action: MAYBE') +
        ap('bad-path', 'shop', 'rules:\n- to:\n  - operation:\n      paths: ["/a/{**}/b/{*}"]'),
      notes,
    );
    expect(p.map((x) => x.name)).toEqual(['bad-path']);
    expect(notes.map((n) => n.message)).toEqual([
      'gw: targetRef policies apply to gateways and waypoints, not to workloads (policy ignored)',
      'odd: unknown action "MAYBE" (policy ignored)',
      'bad-path: rules[0].to[0]: invalid path "/a/{**}/b/{*}": {**} must be the last operator of the path',
    ]);
    expect(notes[0]!.origin).toMatch(/^p\.yaml:\d+$/);
  });
});
