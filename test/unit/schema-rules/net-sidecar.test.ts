import { describe, expect, it } from 'vitest';
import { at, checker, paths } from './net-helpers.js';

const sc = checker('Sidecar');

describe('Sidecar semantic rules', () => {
  it('rejects an empty Sidecar and checks its workloadSelector', () => {
    expect(at(sc('  workloadSelector: {labels: {app: a}}\n'), 'spec').message).toContain(
      'needs at least one of egress',
    );
    const sel = sc('  workloadSelector: {}\n  egress: [{hosts: ["./*"]}]\n');
    expect(at(sel, 'spec.workloadSelector')).toMatchObject({ level: 'warning' });
    expect(at(sel, 'spec.workloadSelector').message).toContain('applies to every workload in its namespace');
  });

  it('checks ingress listeners', () => {
    const issues = sc(`  ingress:
  - port: {number: 8080, name: web_1, protocol: HTTP, targetPort: 9090}
    defaultEndpoint: 10.1.1.1:8080
    bind: not-an-ip
  - port: {number: 8080, protocol: TCP}
    defaultEndpoint: "[::1]:99999"
    connectionPool: {http: {maxRetries: 3}}
  - defaultEndpoint: "unix://relative"
`);
    expect(at(issues, 'spec.ingress[0].port.name').message).toContain('"web_1"');
    expect(at(issues, 'spec.ingress[0].port.targetPort').level).toBe('error');
    expect(at(issues, 'spec.ingress[0].defaultEndpoint').message).toContain(
      'host "10.1.1.1" must be 127.0.0.1',
    );
    expect(at(issues, 'spec.ingress[0].bind').level).toBe('error');
    expect(at(issues, 'spec.ingress[1].port.number').message).toBe('port 8080 is already used by ingress[0]');
    expect(at(issues, 'spec.ingress[1].defaultEndpoint').message).toContain('99999');
    expect(at(issues, 'spec.ingress[1].connectionPool.http')).toMatchObject({ level: 'warning' });
    expect(at(issues, 'spec.ingress[2].port').message).toBe('ingress listener needs a port');
    expect(at(issues, 'spec.ingress[2].defaultEndpoint').message).toContain('absolute path');
  });

  it('checks ingress TLS', () => {
    const issues = sc(`  ingress:
  - port: {number: 8443, protocol: HTTP}
    tls: {mode: ISTIO_MUTUAL, credentialName: c, subjectAltNames: [a]}
`);
    expect(paths(issues)).toEqual([
      'spec.ingress[0].tls',
      'spec.ingress[0].tls.credentialName',
      'spec.ingress[0].tls.mode',
      'spec.ingress[0].tls.subjectAltNames',
    ]);
    expect(at(issues, 'spec.ingress[0].tls').message).toContain('port protocol to be HTTPS or TLS, not HTTP');
    expect(at(issues, 'spec.ingress[0].tls.mode').message).toContain('ISTIO_MUTUAL is not supported');
  });

  it('checks egress listeners: the port-less catch-all, unix binds, ports and hosts', () => {
    const issues = sc(`  egress:
  - hosts: ["./*"]
  - port: {number: 0}
    bind: 127.0.0.1
    hosts: ["./*"]
  - port: {number: 0}
    bind: unix:///var/run/a.sock
    captureMode: IPTABLES
    hosts: ["./*"]
  - port: {number: 0}
    bind: unix:///var/run/a.sock
    hosts: ["./*"]
  - port: {number: 80, protocol: HTTP}
    hosts: ["./*"]
  - port: {number: 80, protocol: HTTP}
    hosts: []
  - hosts: ["./*"]
`);
    expect(at(issues, 'spec.egress[0]').message).toContain('must be the last one');
    expect(at(issues, 'spec.egress[1].port.number').message).toBe(
      'port 0 is only allowed with a unix:// bind',
    );
    expect(at(issues, 'spec.egress[2].captureMode').message).toContain('DEFAULT or NONE');
    expect(at(issues, 'spec.egress[3].bind').message).toContain('already used by egress[2]');
    expect(at(issues, 'spec.egress[5].port.number').message).toBe('port 80 is already used by egress[4]');
    expect(at(issues, 'spec.egress[5].hosts').level).toBe('error');
    expect(at(issues, 'spec.egress[6]').message).toContain('only one egress listener may omit the port');
  });

  it('checks egress hosts', () => {
    const issues = sc(`  egress:
  - hosts: ["foo.example.com", "*/nodot", "Bad_ns/a.example.com", "./a.example.com", "./a.example.com", "*/*", "~/*", "./foo*.com"]
`);
    expect(at(issues, 'spec.egress[0].hosts[0]').message).toContain('namespace/dnsName');
    expect(at(issues, 'spec.egress[0].hosts[2]').message).toContain('namespace "Bad_ns" is invalid');
    expect(at(issues, 'spec.egress[0].hosts[4]')).toMatchObject({ level: 'warning' });
    expect(at(issues, 'spec.egress[0].hosts[7]').message).toContain('partial wildcard');
    expect(paths(issues)).not.toContain('spec.egress[0].hosts[6]');
    // an IP is not a Sidecar host (a Gateway host may be one)
    expect(sc('  egress: [{hosts: ["./10.0.0.1"]}]\n').map((i) => `${i.level} ${i.message}`)).toEqual([
      'error host "./10.0.0.1": "10.0.0.1" is not a valid DNS name: the top-level label "1" is all digits',
    ]);
  });

  it('reports duplicated egress hosts as istiod does: per namespace, "~" entries skipped', () => {
    const warnings = (hosts: string) =>
      sc(`  egress: [{hosts: [${hosts}]}]\n`).map((i) => `${i.level} ${i.path}: ${i.message}`);
    expect(warnings('"~/*", "*/*"')).toEqual([]);
    expect(warnings('"*/*", "./a.example.com"')).toEqual([
      'warning spec.egress[0].hosts[0]: "*/*" already imports every host; the hosts of other namespaces in this listener are redundant',
    ]);
    expect(warnings('"./*", "./a.example.com"')).toEqual([
      'warning spec.egress[0].hosts[1]: host "./a.example.com" is redundant: hosts[0] "./*" already imports every host of its namespace',
    ]);
    // "." is the Sidecar's own namespace
    expect(warnings('"./a.example.com", "default/*"')).toEqual([
      'warning spec.egress[0].hosts[1]: "default/*" imports every host of its namespace, so hosts[0] "./a.example.com" is redundant',
    ]);
    expect(warnings('"*/nodot.example.com", "*/*"')).toEqual([
      'warning spec.egress[0].hosts[1]: "*/*" imports every host of its namespace, so hosts[0] "*/nodot.example.com" is redundant',
    ]);
    expect(
      warnings('"./a.example.com", "./a.example.com", "foo/a.example.com", "~foo/a.example.com"'),
    ).toEqual(['warning spec.egress[0].hosts[1]: duplicate host "./a.example.com" (also hosts[0])']);
  });

  it('checks the outbound traffic policy and egress proxy', () => {
    const issues = sc(`  outboundTrafficPolicy:
    mode: REGISTRY_ONLY
    egressProxy: {host: "bad host", subset: v_1}
`);
    expect(at(issues, 'spec.outboundTrafficPolicy.egressProxy').message).toContain(
      'only applies with mode ALLOW_ANY',
    );
    expect(at(issues, 'spec.outboundTrafficPolicy.egressProxy.host').level).toBe('error');
    expect(at(issues, 'spec.outboundTrafficPolicy.egressProxy.subset').level).toBe('error');
    expect(at(issues, 'spec.outboundTrafficPolicy.egressProxy.port').message).toBe(
      'egressProxy needs port.number',
    );
    expect(
      at(sc('  outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}\n'), 'spec.outboundTrafficPolicy.mode')
        .level,
    ).toBe('error');
  });

  it('checks the inbound connection pool', () => {
    expect(at(sc('  inboundConnectionPool: {}\n'), 'spec.inboundConnectionPool').message).toBe(
      'connectionPool must set http or tcp settings',
    );
  });
});
