import { describe, expect, it } from 'vitest';
import { at, checker, paths } from './net-helpers.js';

const se = checker('ServiceEntry');

describe('ServiceEntry semantic rules', () => {
  it('stops at an invalid workloadSelector and rejects it together with endpoints', () => {
    const bad = se(`  workloadSelector: {labels: {"": x}}
  hosts: ["*"]
`);
    expect(paths(bad)).toEqual(['spec.workloadSelector.labels[""]']);
    const both = se(`  workloadSelector: {labels: {app: a}}
  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.1}]
`);
    expect(at(both, 'spec.workloadSelector').message).toBe(
      'workloadSelector and endpoints cannot both be set',
    );
  });

  it('checks hosts', () => {
    expect(at(se('  ports: [{number: 80, name: http, protocol: HTTP}]\n'), 'spec.hosts').message).toBe(
      'a ServiceEntry needs at least one host',
    );
    const issues = se(`  hosts: ["*", "bad host", "*api.example.com"]
  ports: [{number: 80, name: http, protocol: HTTP}]
`);
    expect(at(issues, 'spec.hosts[0]').message).toContain('"*" is not allowed');
    expect(at(issues, 'spec.hosts[1]').level).toBe('error');
    expect(at(issues, 'spec.hosts[2]').level).toBe('warning');
    expect(at(issues, 'spec.hosts[2]').message).toContain('partial wildcard');
  });

  it('warns about a partial wildcard host that is also invalid, as istiod does (error and warning)', () => {
    const issues = se(
      '  hosts: ["a*.example.com"]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  resolution: NONE\n',
    );
    expect(issues.map((i) => `${i.level} ${i.path}: ${i.message}`)).toEqual([
      `error spec.hosts[0]: "a*.example.com" is not a valid host: label "a*" must be 1-63 letters, digits or '-', optionally starting with '*' (a wildcard is allowed only at the start of the first label)`,
      'warning spec.hosts[0]: host "a*.example.com" is a partial wildcard, which only resolution DYNAMIC_DNS supports; use "*.domain"',
    ]);
  });

  it('requires endpoint ports to name a ServiceEntry port with resolution DNS too', () => {
    const issues = se(`  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  endpoints: [{address: b.example.com, ports: {web: 8080}}, {address: c.example.com, ports: {http: 8080}}]
`);
    expect(issues.map((i) => `${i.level} ${i.path}: ${i.message}`)).toEqual([
      `error spec.endpoints[0].ports.web: endpoint port "web" does not name any of the ServiceEntry's ports`,
    ]);
  });

  it('checks addresses and where CIDRs are allowed', () => {
    const issues = se(`  hosts: [a.example.com]
  addresses: [10.0.0.0/16, 300.1.1.1, 192.168.0.1]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`);
    expect(at(issues, 'spec.addresses[0]').message).toContain('requires resolution NONE or STATIC');
    expect(at(issues, 'spec.addresses[1]').message).toBe('"300.1.1.1" is not a valid IP address');
    expect(paths(issues)).not.toContain('spec.addresses[2]');
  });

  it('checks ports', () => {
    const issues = se(`  hosts: [a.example.com]
  addresses: [10.0.0.1]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 80, name: http, protocol: FTP, targetPort: 70000}
  - {number: 70000, name: web_1}
  - null
`);
    expect(issues.filter((i) => i.path === 'spec.ports[1].name').map((i) => i.message)).toEqual([
      'duplicate port name "http" (also ports[0])',
    ]);
    expect(at(issues, 'spec.ports[1].number').message).toBe('duplicate port number 80 (also ports[0])');
    expect(at(issues, 'spec.ports[1].protocol').message).toContain('"FTP"');
    expect(at(issues, 'spec.ports[1].targetPort').level).toBe('error');
    expect(at(issues, 'spec.ports[2].name').message).toContain('"web_1"');
    expect(at(issues, 'spec.ports[2].number').level).toBe('error');
    expect(at(issues, 'spec.ports[3]').message).toBe('port must not be empty (null)');
  });

  it('warns about TCP ports without addresses under resolution NONE', () => {
    const issues = se(`  hosts: [a.example.com]
  ports: [{number: 5432, name: pg, protocol: TCP}, {number: 443, name: tls, protocol: TLS}]
`);
    expect(paths(issues)).toEqual(['spec.ports[0]']);
    expect(issues[0]!.level).toBe('warning');
    expect(issues[0]!.message).toContain('match all traffic to port 5432');
    // the protocol as written, as Istio compares it: `tcp` gets no warning (istioctl gives none either)
    const lower = se(`  hosts: [a.example.com]
  ports: [{number: 22, name: ssh, protocol: tcp}, {number: 23, name: telnet}]
`);
    expect(paths(lower)).toEqual(['spec.ports[1]']);
  });

  it('applies the resolution-specific endpoint rules', () => {
    const none = se(`  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1}]
`);
    expect(at(none, 'spec.endpoints').message).toContain('endpoints are not allowed with resolution NONE');
    const staticSe = se(`  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 81, name: admin, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - {address: db.example.com}
  - {address: 10.0.0.2, ports: {metrics: 9090}}
  - {address: "unix:///var/run/a.sock"}
`);
    expect(at(staticSe, 'spec.endpoints[0].address').message).toContain('an IP address (resolution STATIC)');
    expect(at(staticSe, 'spec.endpoints[1].ports.metrics').message).toContain('does not name any');
    expect(at(staticSe, 'spec.endpoints[2]').message).toContain('exactly one ServiceEntry port, found 2');
    const dns = se(`  hosts: [a.example.com, "*.b.example.com", "*c.example.com"]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS_ROUND_ROBIN
`);
    // Wildcards are refused too, `*.b.example.com` included (istioctl: `domain name "*.b.example.com"
    // invalid (label "*" invalid)`), although Istio's message speaks of "prefix wildcards".
    expect(dns.map((i) => `${i.path} ${i.level}`).sort()).toEqual([
      'spec.hosts[1] error',
      'spec.hosts[2] error',
      'spec.hosts[2] warning',
    ]);
    expect(at(dns, 'spec.hosts[1]').message).toBe(
      'with resolution DNS_ROUND_ROBIN and no endpoints, hosts must be DNS names: "*.b.example.com" is not a valid DNS name: label "*" must be 1-63 letters, digits or \'-\', starting and ending with a letter or digit',
    );
    const rr = se(`  hosts: [a.example.com]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS_ROUND_ROBIN
  endpoints: [{address: a1.example.com}, {address: a2.example.com}]
`);
    expect(at(rr, 'spec.endpoints').message).toContain('at most one endpoint, found 2');
  });

  it('warns when several hosts share addresses on a TCP port and rejects non-HTTP/TLS ports for several hosts', () => {
    const shared = se(`  hosts: [a.example.com, b.example.com]
  addresses: [10.0.0.1]
  ports: [{number: 5432, name: pg, protocol: TCP}]
  resolution: DNS
`);
    expect(at(shared, 'spec.hosts').level).toBe('warning');
    const noAddr = se(`  hosts: [a.example.com, b.example.com]
  ports: [{number: 5432, name: pg, protocol: TCP}, {number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
`);
    expect(paths(noAddr)).toEqual(['spec.ports[0]']);
    expect(noAddr[0]!.message).toContain('port "pg" is TCP');
  });

  it('applies the DYNAMIC_DNS restrictions', () => {
    const issues = se(`  hosts: ["*.example.com", api.example.com]
  addresses: [10.0.0.1]
  ports: [{number: 443, name: tls, protocol: TLS}, {number: 5432, name: pg, protocol: TCP}]
  resolution: DYNAMIC_DNS
  endpoints: [{address: 10.0.0.1}]
`);
    expect(at(issues, 'spec.hosts[1]').message).toContain('needs wildcard hosts');
    expect(at(issues, 'spec.addresses').level).toBe('error');
    expect(at(issues, 'spec.endpoints').level).toBe('error');
    expect(at(issues, 'spec.ports[1].protocol').message).toContain('supports only HTTP, HTTP2, GRPC, TLS');
  });

  it('allows "~" in exportTo, alone', () => {
    const issues = se(`  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  exportTo: ["~", "."]
`);
    expect(at(issues, 'spec.exportTo').message).toBe(
      'exportTo "~" (no namespace) cannot be combined with other entries',
    );
  });
});
