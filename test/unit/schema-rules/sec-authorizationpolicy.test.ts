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
      expect(at(issues, 'spec.action').message).toContain(
        'a CUSTOM policy without `rules` matches no request',
      );
      expect(at(issues, 'spec.provider.name').message).toContain('a CUSTOM policy needs `provider.name`');
    });
    it('rejects a provider with a non-CUSTOM action', () => {
      const issue = at(ap('spec:\n  action: DENY\n  provider: {name: x}\n  rules: [{}]\n'), 'spec.provider');
      expect(issue.level).toBe('error');
      expect(issue.message).toContain('only used with action CUSTOM, but the action is DENY');
    });
    it('rejects DENY without rules', () => {
      const issue = at(ap('spec:\n  action: DENY\n'), 'spec.action');
      expect(issue).toMatchObject({ level: 'error' });
      expect(issue.message).toContain('a DENY policy without `rules` matches no request');
      expect(issue.message).toContain('`rules: [{}]`');
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
      expect(at(issues, 'spec.rules[0].from[0].source.principals').message).toContain(
        'source.principals cannot be used with action CUSTOM',
      );
      expect(
        issues
          .filter((i) => i.path === 'spec.rules[0].from[0].source.serviceAccounts')
          .some((i) => i.message.startsWith('source.serviceAccounts cannot be used with action CUSTOM')),
      ).toBe(true);
      expect(at(issues, 'spec.rules[0].when[0].key').message).toBe(
        'condition key source.namespace cannot be used with action CUSTOM',
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
      expect(at(issues, 'spec.rules[0]').message).toContain('a rule cannot be null');
      // istiod reads an empty list as an absent one: istioctl reports nothing for `from: []`, `to: []`
      expect(issues.filter((i) => i.path?.startsWith('spec.rules[1]'))).toEqual([]);
      expect(at(issues, 'spec.rules[2].from[0].source').message).toBe('this `from` entry has no `source`');
      expect(at(issues, 'spec.rules[2].from[1].source').message).toContain(
        '`source` sets none of its fields',
      );
      expect(at(issues, 'spec.rules[2].to[0].operation').message).toBe('this `to` entry has no `operation`');
      expect(at(issues, 'spec.rules[2].to[1].operation').message).toContain(
        '`operation` sets none of its fields',
      );
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
        'principals must not contain empty strings',
      );
      expect(at(issues, 'spec.rules[0].to[0].operation.hosts[1]').message).toBe(
        'hosts must not contain empty strings',
      );
      expect(issues).toHaveLength(5);
    });

    it("reads IPs and CIDRs as istiod does (Go's netip): no leading zeros, no zone in a prefix", () => {
      const issues = ap(`spec:
  rules:
  - from:
    - source:
        ipBlocks: ["10.0.0.0/08", "fe80::1%eth0/64", "fe80::1%eth0", "010.0.0.1", "10.0.0.0/8"]
`);
      const path = (i: number) => `spec.rules[0].from[0].source.ipBlocks[${i}]`;
      expect(issues.map((i) => [i.path, i.message])).toEqual([
        [
          path(0),
          '"10.0.0.0/08" is not a valid CIDR block: prefix length must be 0-32, without a leading zero',
        ],
        [path(1), '"fe80::1%eth0/64" is not a valid CIDR block: an IPv6 zone cannot be part of a prefix'],
        [path(3), '"010.0.0.1" is not a valid IP address'],
      ]);
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
      expect(at(issues, `${sa}[0]`).message).toContain('"ns/*": wildcards');
      expect(at(issues, `${sa}[1]`).message).toContain('"a/b/c" has more than one \'/\'');
      expect(at(issues, `${sa}[2]`).message).toContain('"ns/" has an empty name');
      expect(at(issues, `${sa}[3]`).message).toContain('"/sa" has an empty namespace');
      expect(at(issues, `${sa}[4]`).message).toContain('321 characters long; at most 320');
      expect(at(issues, `${sa}[4]`).message).toContain('(in serviceAccounts)');
      expect(at(issues, sa).message).toContain('cannot be set together with namespaces');
      expect(at(issues, 'spec.rules[0].from[1].source.notServiceAccounts').message).toBe(
        'notServiceAccounts lists 17 service accounts; at most 16 are allowed',
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
      expect(at(issues, `${op}.ports[2]`).message).toBe('port "http" is not a number from 0 to 65535');
      expect(at(issues, `${op}.ports[3]`).message).toContain('port "70000" is not a number');
      expect(at(issues, `${op}.notPorts[0]`).message).toContain('port "-1" is not a number');
      expect(at(issues, `${op}.paths[1]`).message).toBe(
        'paths entry "/{*}/foo/{bar}" is not a supported path: braces are only allowed as whole {*} or {**} segments',
      );
      expect(at(issues, `${op}.paths[2]`).message).toContain('no {*} or {**} segment may follow {**}');
      expect(at(issues, `${op}.paths[3]`).message).toContain('segment "a b" has characters');
      expect(at(issues, `${op}.paths[4]`).message).toContain('braces are only allowed');
      expect(at(issues, `${op}.notPaths[0]`).message).toContain('no {*} or {**} segment may follow {**}');
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
      expect(at(issues, 'spec.rules[0].when[0].key').message).toBe('this condition has no `key`');
      expect(at(issues, 'spec.rules[0].when[1]').message).toBe(
        'the condition on source.ip needs `values`, `notValues` or both',
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
    - {key: "request.experimental.inline.headers[x-user]", values: [x]}
`);
      const key = (i: number) => at(issues, `spec.rules[0].when[${i}].key`);
      expect(key(0).message).toBe('request.method is not a supported condition key');
      expect(key(1).message).toContain(
        'destination.namespace is not supported: a policy only applies in its own',
      );
      expect(key(2).message).toContain('choose the workloads with spec.selector');
      expect(key(3).message).toContain('destination.name is no longer supported');
      expect(key(4).message).toContain('destination.user is no longer supported');
      expect(key(5).message).toContain('"request.headers" must have the form name[entry]');
      expect(key(6).message).toContain('"request.auth.claims[]" must have the form name[entry]');
      // istiod's validation knows no such attribute (istioctl: IST0106 "unknown attribute")
      expect(key(7).message).toBe(
        'request.experimental.inline.headers[x-user] is not a supported condition key',
      );
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
        'values of the condition on remote.ip: ',
      );
      expect(at(issues, 'spec.rules[0].when[0].notValues[0]').message).toContain(
        'notValues of the condition on remote.ip: ',
      );
      expect(at(issues, 'spec.rules[0].when[1].values[1]').message).toContain('port "99999" is not a number');
      expect(at(issues, 'spec.rules[0].when[2].values[0]').message).toBe(
        '"*": wildcards (\'*\') are not supported for service accounts (in values of the condition on source.serviceAccount)',
      );
      expect(at(issues, 'spec.rules[0].when[3].notValues[0]').message).toContain('trust domain "a*b"');
      expect(at(issues, 'spec.rules[0].when[4].values[0]').message).toBe(
        'values of the condition on source.principal: an empty string is not allowed',
      );
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
      expect(issues[0]!.message).toContain('denies every TCP connection');
      expect(issues[0]!.message).toContain('Set `ports`');
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
        'set only one of them (found selector and targetRefs)',
      );
      expect(at(issues, 'spec.targetRefs[0].kind').message).toContain(
        'a target reference to apps/Deployment is not supported',
      );
      expect(at(issues, 'spec.targetRefs[1].namespace').message).toContain('cannot name a namespace');
      expect(at(issues, 'spec.targetRefs[2].name').message).toBe('a target reference needs a `name`');
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
        message: 'selector has no matchLabels, so it selects every workload in the namespace',
      });
    });
  });
});
