import { describe, expect, it } from 'vitest';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const ap = (spec: string) => check('AuthorizationPolicy', 'security.istio.io/v1', spec);

describe('AuthorizationPolicy semantic rules', () => {
  it('accepts realistic policies (ALLOW, DENY with ports, CUSTOM, targetRefs, serviceAccounts, allow-nothing)', () => {
    const resources = fixture('authorizationpolicy-valid.yaml');
    expect(resources).toHaveLength(6);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  describe('action and provider', () => {
    it('requires rules and provider.name for CUSTOM', () => {
      const issues = ap('spec:\n  action: CUSTOM\n');
      expect(at(issues, 'spec.action')).toMatchObject({ level: 'error' });
      expect(at(issues, 'spec.action').message).toContain('CUSTOM action without `rules`');
      expect(at(issues, 'spec.provider.name').message).toBe('`provider.name` must not be empty');
    });
    it('rejects a provider with a non-CUSTOM action', () => {
      const issue = at(ap('spec:\n  action: DENY\n  provider: {name: x}\n  rules: [{}]\n'), 'spec.provider');
      expect(issue.level).toBe('error');
      expect(issue.message).toContain('non CUSTOM action, found DENY');
    });
    it('rejects DENY without rules', () => {
      const issue = at(ap('spec:\n  action: DENY\n'), 'spec.action');
      expect(issue).toMatchObject({ level: 'error' });
      expect(issue.message).toContain('DENY action without `rules` is meaningless');
    });
    it('rejects identity-based sources and conditions in CUSTOM policies', () => {
      const issues = ap(`spec:
  action: CUSTOM
  provider: {name: ext}
  rules:
  - from:
    - source:
        principals: [a]
        serviceAccounts: [b]
        ipBlocks: [1.2.3.4]
    when:
    - key: source.namespace
      values: [x]
    - key: request.auth.claims[sub]
      values: [y]
    - null
`);
      expect(at(issues, 'spec.rules[0].from[0].source.principals').message).toBe(
        'From.Principals is currently not supported with CUSTOM action',
      );
      expect(
        issues.filter((i) => i.path === 'spec.rules[0].from[0].source.serviceAccounts').map((i) => i.message),
      ).toContain('From.ServiceAccounts is currently not supported with CUSTOM action');
      expect(at(issues, 'spec.rules[0].when[0].key').message).toContain(
        'source.namespace is currently not supported',
      );
      expect(at(issues, 'spec.rules[0].when[1].key').message).toContain('request.auth.claims[sub]');
      expect(at(issues, 'spec.rules[0].when[2]')).toMatchObject({ level: 'error' });
    });
  });

  describe('rules, from and to', () => {
    it('rejects null rules, present-but-empty from/to, missing or empty source and operation', () => {
      const issues = ap(`spec:
  rules:
  - null
  - from: []
    to: []
  - from:
    - {}
    - source: {}
    to:
    - {}
    - operation: {}
`);
      expect(at(issues, 'spec.rules[0]').message).toBe('`rule` must not be null');
      expect(at(issues, 'spec.rules[1].from').message).toBe('`from` must not be empty');
      expect(at(issues, 'spec.rules[1].to').message).toBe('`to` must not be empty');
      expect(at(issues, 'spec.rules[2].from[0].source').message).toBe('`from.source` must not be nil');
      expect(at(issues, 'spec.rules[2].from[1].source').message).toBe('`from.source` must not be empty');
      expect(at(issues, 'spec.rules[2].to[0].operation').message).toBe('`to.operation` must not be nil');
      expect(at(issues, 'spec.rules[2].to[1].operation').message).toBe('`to.operation` must not be empty');
      expect(issues.every((i) => i.level === 'error')).toBe(true);
    });

    it('checks IP blocks and rejects empty strings in any list', () => {
      const issues = ap(`spec:
  rules:
  - from:
    - source:
        ipBlocks: [10.0.0.300, 10.0.0.0/33, "2001:db8::/48"]
        notRemoteIpBlocks: [not-an-ip]
        principals: [""]
    to:
    - operation:
        hosts: [example.com, ""]
        methods: [GET]
`);
      expect(at(issues, 'spec.rules[0].from[0].source.ipBlocks[0]').message).toContain('10.0.0.300');
      expect(at(issues, 'spec.rules[0].from[0].source.ipBlocks[1]').message).toContain('CIDR');
      expect(at(issues, 'spec.rules[0].from[0].source.notRemoteIpBlocks[0]').message).toContain('not-an-ip');
      expect(at(issues, 'spec.rules[0].from[0].source.principals[0]').message).toBe(
        'empty value not allowed, found in principals',
      );
      expect(at(issues, 'spec.rules[0].to[0].operation.hosts[1]').message).toContain(
        'empty value not allowed',
      );
      expect(issues).toHaveLength(5);
    });

    it('checks serviceAccounts: format, wildcard, length, count, and not mixed with principals/namespaces', () => {
      const many = Array.from({ length: 17 }, (_, i) => `sa${i}`).join(', ');
      const issues = ap(`spec:
  rules:
  - from:
    - source:
        serviceAccounts: ["ns/*", a/b/c, "ns/", "/sa", "${'x'.repeat(321)}"]
        namespaces: [prod]
    - source:
        notServiceAccounts: [${many}]
`);
      const sa = 'spec.rules[0].from[0].source.serviceAccounts';
      expect(at(issues, `${sa}[0]`).message).toContain('wildcard not allowed');
      expect(at(issues, `${sa}[1]`).message).toContain(
        "expected format 'serviceAccount' or 'namespace/serviceAccount'",
      );
      expect(at(issues, `${sa}[2]`).message).toContain('empty serviceAccount');
      expect(at(issues, `${sa}[3]`).message).toContain('empty namespace');
      expect(at(issues, `${sa}[4]`).message).toContain('320 characters');
      expect(at(issues, sa).message).toContain('cannot be set together with namespaces');
      expect(at(issues, 'spec.rules[0].from[1].source.notServiceAccounts').message).toContain(
        'may not have more than 16 values',
      );
    });

    it('checks trust domains: one * at the start or end, no /', () => {
      const issues = ap(`spec:
  rules:
  - from:
    - source:
        trustDomains: ["*.example.com", "example.*", "a*b", "**", "td/x"]
`);
      const td = 'spec.rules[0].from[0].source.trustDomains';
      expect(issues.map((i) => i.path)).toEqual([`${td}[2]`, `${td}[3]`, `${td}[4]`]);
      expect(at(issues, `${td}[2]`).message).toContain('only use');
      expect(at(issues, `${td}[3]`).message).toContain('at most one');
      expect(at(issues, `${td}[4]`).message).toContain("must not contain '/'");
    });

    it('checks operation ports and path templates', () => {
      const issues = ap(`spec:
  rules:
  - to:
    - operation:
        ports: ["0", "80", http, "70000"]
        notPorts: ["-1"]
        paths: ["/a/{*}/b/{**}", "/{*}/foo/{bar}", "/{**}/{*}", "/a b/{*}", "/foo{bar}", "/x/{**}/tail"]
        notPaths: ["/{**}/{**}"]
`);
      const op = 'spec.rules[0].to[0].operation';
      expect(at(issues, `${op}.ports[2]`).message).toContain('bad port (http)');
      expect(at(issues, `${op}.ports[3]`).message).toContain('bad port (70000)');
      expect(at(issues, `${op}.notPorts[0]`).message).toContain('bad port (-1)');
      expect(at(issues, `${op}.paths[1]`).message).toContain("'{' or '}' beyond a supported path template");
      expect(at(issues, `${op}.paths[2]`).message).toContain('{**} is not the last operator');
      expect(at(issues, `${op}.paths[3]`).message).toContain('invalid string literal');
      expect(at(issues, `${op}.paths[4]`).message).toContain("'{' or '}'");
      expect(at(issues, `${op}.notPaths[0]`).message).toContain('{**} is not the last operator');
      expect(issues).toHaveLength(8);
    });
  });

  describe('when conditions', () => {
    it('requires a key and values or notValues', () => {
      const issues = ap(`spec:
  rules:
  - when:
    - values: [x]
    - key: source.ip
`);
      expect(at(issues, 'spec.rules[0].when[0].key').message).toBe('`key` must not be empty');
      expect(at(issues, 'spec.rules[0].when[1]').message).toContain(
        'at least one of `values` or `notValues` must be set for key source.ip',
      );
    });

    it('rejects unknown, replaced and deprecated attributes, and malformed map keys', () => {
      const issues = ap(`spec:
  rules:
  - when:
    - {key: request.method, values: [GET]}
    - {key: destination.namespace, values: [x]}
    - {key: "destination.labels[app]", values: [x]}
    - {key: destination.name, values: [x]}
    - {key: destination.user, values: [x]}
    - {key: request.headers, values: [x]}
    - {key: "request.auth.claims[]", values: [x]}
`);
      const key = (i: number) => at(issues, `spec.rules[0].when[${i}].key`);
      expect(key(0).message).toBe('unknown attribute: request.method');
      expect(key(1).message).toContain('replaced by the metadata.namespace');
      expect(key(2).message).toContain('replaced by the workload selector');
      expect(key(3).message).toContain('deprecated attribute destination.name');
      expect(key(4).message).toContain('deprecated attribute destination.user');
      expect(key(5).message).toContain('should have format a[b]');
      expect(key(6).message).toContain('should have format a[b]');
      expect(issues.every((i) => i.level === 'error')).toBe(true);
    });

    it('checks values by attribute: IPs, ports, service accounts, trust domains, no empty strings', () => {
      const issues = ap(`spec:
  rules:
  - when:
    - {key: remote.ip, values: ["10.1.0.0/16", bad], notValues: ["1.2.3.4/40"]}
    - {key: destination.port, values: ["443", "99999"]}
    - {key: source.serviceAccount, values: ["*"]}
    - {key: source.trustDomain, notValues: ["a*b"]}
    - {key: source.principal, values: [""]}
`);
      expect(at(issues, 'spec.rules[0].when[0].values[1]').message).toContain(
        'invalid `value` for `key` remote.ip',
      );
      expect(at(issues, 'spec.rules[0].when[0].notValues[0]').message).toContain('invalid `notValue`');
      expect(at(issues, 'spec.rules[0].when[1].values[1]').message).toContain('bad port (99999)');
      expect(at(issues, 'spec.rules[0].when[2].values[0]').message).toContain('wildcard not allowed');
      expect(at(issues, 'spec.rules[0].when[3].notValues[0]').message).toContain('trust domain "a*b"');
      expect(at(issues, 'spec.rules[0].when[4].values[0]').message).toContain('empty value not allowed');
      expect(issues).toHaveLength(6);
    });
  });

  describe('DENY rules with only HTTP attributes', () => {
    it('warns that TCP traffic would be denied entirely', () => {
      const issues = ap(`spec:
  action: DENY
  rules:
  - to:
    - operation: {paths: [/admin]}
  - from:
    - source: {requestPrincipals: ["*"]}
  - to:
    - operation: {paths: [/admin], ports: ["8080"]}
  - from:
    - source: {namespaces: [foo]}
`);
      expect(issues.map((i) => [i.level, i.path])).toEqual([
        ['warning', 'spec.rules[0]'],
        ['warning', 'spec.rules[1]'],
      ]);
      expect(issues[0]!.message).toContain('will deny all traffic to TCP ports');
    });
    it('does not warn for ALLOW policies', () => {
      expect(ap('spec:\n  rules:\n  - to:\n    - operation: {paths: [/admin]}\n')).toEqual([]);
    });
  });

  describe('selector and target references', () => {
    it('rejects selector together with targetRefs, and bad target references', () => {
      const issues = ap(`spec:
  selector:
    matchLabels: {app: x}
  targetRefs:
  - {kind: Deployment, group: apps, name: web}
  - {kind: Service, group: "", name: svc, namespace: other}
  - {kind: Gateway, group: gateway.networking.k8s.io}
`);
      expect(at(issues, 'spec.targetRefs').message).toContain(
        'only one of selector, targetRef or targetRefs',
      );
      expect(at(issues, 'spec.targetRefs[0].kind').message).toContain('but was apps/Deployment');
      expect(at(issues, 'spec.targetRefs[1].namespace').message).toContain('cross namespace');
      expect(at(issues, 'spec.targetRefs[2].name').message).toBe('targetRef name must be set');
    });
    it('accepts a single targetRef to a GatewayClass or ServiceEntry', () => {
      expect(
        ap('spec:\n  targetRef: {kind: GatewayClass, group: gateway.networking.k8s.io, name: istio}\n'),
      ).toEqual([]);
      expect(ap('spec:\n  targetRef: {kind: ServiceEntry, group: networking.istio.io, name: ext}\n')).toEqual(
        [],
      );
    });
    it('checks selector labels', () => {
      const issues = ap(`spec:
  selector:
    matchLabels:
      app: "web*"
      "": x
      "bad key": y
`);
      expect(at(issues, 'spec.selector.matchLabels.app')).toMatchObject({ level: 'error' });
      expect(at(issues, 'spec.selector.matchLabels.app').message).toContain('wildcard');
      expect(at(issues, 'spec.selector.matchLabels[""]').level).toBe('error');
      expect(at(issues, 'spec.selector.matchLabels["bad key"]').message).toContain('bad key');
      const empty = ap('spec:\n  selector: {}\n');
      expect(at(empty, 'spec.selector')).toMatchObject({
        level: 'warning',
        message: 'workload selector specified without labels',
      });
    });
  });
});
