import { describe, expect, it } from 'vitest';
import type { Resource } from '../../../src/manifests/types.js';
import { validateGateway } from '../../../src/analyzers/schema/rules/gateway.js';
import { at, checker, paths } from './net-helpers.js';

const gw = checker('Gateway');
/** A Gateway with one server: `port` and `tls` flow-style YAML, hosts ["*.example.com"] unless given. */
const server = (port: string, rest = '', hosts = '["*.example.com"]') =>
  gw(`  servers:\n  - port: ${port}\n    hosts: ${hosts}\n${rest}`);

describe('Gateway semantic rules', () => {
  it('requires a DNS-label name and at least one non-null server', () => {
    expect(at(gw('  servers: []\n', 'public.gw'), 'metadata.name').message).toContain('must be a DNS label');
    expect(at(gw('  servers: []\n'), 'spec.servers').message).toBe('a Gateway needs at least one server');
    expect(at(gw('  servers: [null]\n'), 'spec.servers[0]').message).toBe('server must not be empty (null)');
  });

  it('ignores the Gateway API kind of the same name', () => {
    const r = {
      kind: 'Gateway',
      group: 'gateway.networking.k8s.io',
      name: 'x',
      spec: {},
    } as unknown as Resource;
    expect(validateGateway(r)).toEqual([]);
  });

  it('checks server hosts', () => {
    const issues = server(
      '{number: 80, name: http, protocol: HTTP}',
      '',
      '["*", "./foo.example.com", "Bad_NS/a.example.com", "nodot", "foo*.example.com", "a/b/c", "10.1.2.3"]',
    );
    expect(paths(issues)).toEqual([
      'spec.servers[0].hosts[2]',
      'spec.servers[0].hosts[3]',
      'spec.servers[0].hosts[4]',
      'spec.servers[0].hosts[5]',
    ]);
    expect(at(issues, 'spec.servers[0].hosts[2]').message).toContain('namespace "Bad_NS" is invalid');
    expect(at(issues, 'spec.servers[0].hosts[3]').message).toContain('fully qualified name with a dot');
    expect(at(issues, 'spec.servers[0].hosts[4]').message).toContain('partial wildcard');
    expect(
      at(server('{number: 80, name: http, protocol: HTTP}', '', '[]'), 'spec.servers[0].hosts').level,
    ).toBe('error');
  });

  it('checks ports: protocol, number, name, targetPort, uniqueness of names', () => {
    const issues = server('{number: 0, protocol: SMTP, targetPort: 8080}');
    expect(at(issues, 'spec.servers[0].port.protocol').message).toContain('unknown protocol "SMTP"');
    expect(at(issues, 'spec.servers[0].port.number').level).toBe('error');
    expect(at(issues, 'spec.servers[0].port.name').message).toBe('port name is required');
    expect(at(issues, 'spec.servers[0].port.targetPort').level).toBe('error');
    expect(at(server('{number: 80, name: http}'), 'spec.servers[0].port.protocol').message).toContain(
      'required',
    );
    const dup = gw(`  servers:
  - {port: {number: 80, name: web, protocol: HTTP}, hosts: ["*"]}
  - {port: {number: 8080, name: web, protocol: HTTP}, hosts: ["*"]}
`);
    expect(at(dup, 'spec.servers[1].port.name').message).toContain('already used by servers[0]');
    expect(at(gw('  servers:\n  - hosts: ["*"]\n'), 'spec.servers[0].port').message).toBe(
      'server needs a port',
    );
  });

  it('checks binds, including Unix domain sockets with port 0', () => {
    expect(server('{number: 0, name: uds, protocol: HTTP}', '    bind: unix:///var/run/gw.sock\n')).toEqual(
      [],
    );
    const issues = server('{number: 8080, name: uds, protocol: HTTP}', '    bind: unix://relative.sock\n');
    expect(at(issues, 'spec.servers[0].port.number').message).toContain('set number to 0');
    expect(at(issues, 'spec.servers[0].bind').message).toContain('absolute path');
    expect(
      at(server('{number: 80, name: h, protocol: HTTP}', '    bind: localhost\n'), 'spec.servers[0].bind')
        .level,
    ).toBe('error');
  });

  it('ties TLS settings to the protocol', () => {
    expect(at(server('{number: 443, name: https, protocol: HTTPS}'), 'spec.servers[0].tls').message).toBe(
      'a server with protocol HTTPS needs tls settings',
    );
    expect(
      at(
        server('{number: 80, name: http, protocol: HTTP}', '    tls: {httpsRedirect: true, mode: SIMPLE}\n'),
        'spec.servers[0].tls',
      ).message,
    ).toContain('can only carry tls.httpsRedirect');
    expect(
      at(
        server('{number: 31400, name: tcp, protocol: TCP}', '    tls: {mode: SIMPLE}\n'),
        'spec.servers[0].tls',
      ).message,
    ).toBe('tls settings are only allowed on HTTPS or TLS servers, not on TCP');
    const redirect = server(
      '{number: 443, name: https, protocol: HTTPS}',
      '    tls: {httpsRedirect: true, mode: SIMPLE, credentialName: c}\n',
    );
    expect(at(redirect, 'spec.servers[0].tls.httpsRedirect').level).toBe('warning');
    // as istiod: no warning on the HTTP family (GRPC, HTTP2, GRPC-WEB, HTTP_PROXY)
    for (const protocol of ['HTTP', 'GRPC', 'HTTP2', 'GRPC-WEB', 'grpc']) {
      expect(
        server(`{number: 80, name: p, protocol: ${protocol}}`, '    tls: {httpsRedirect: true}\n'),
      ).toEqual([]);
    }
    // a TCP server: the error about its tls settings, and the warning istioctl prints too
    expect(server('{number: 9000, name: tcp, protocol: TCP}', '    tls: {httpsRedirect: true}\n')).toEqual([
      {
        level: 'warning',
        path: 'spec.servers[0].tls.httpsRedirect',
        message: 'tls.httpsRedirect only has an effect on HTTP servers',
      },
      {
        level: 'error',
        path: 'spec.servers[0].tls',
        message: 'tls settings are only allowed on HTTPS or TLS servers, not on TCP',
      },
    ]);
  });

  it('checks server TLS modes and certificate sources', () => {
    const https = (tls: string) => server('{number: 443, name: https, protocol: HTTPS}', `    tls: ${tls}\n`);
    const istio = https('{mode: ISTIO_MUTUAL, credentialName: c, serverCertificate: /s.pem}');
    expect(paths(istio)).toEqual([
      'spec.servers[0].tls.credentialName',
      'spec.servers[0].tls.serverCertificate',
    ]);
    expect(istio[0]!.message).toContain('ISTIO_MUTUAL');
    expect(
      at(https('{mode: PASSTHROUGH, credentialName: c}'), 'spec.servers[0].tls.credentialName').level,
    ).toBe('warning');
    expect(
      at(https('{mode: SIMPLE, credentialName: c, credentialNames: [d]}'), 'spec.servers[0].tls').message,
    ).toBe('only one certificate source may be set, found credentialName, credentialNames');
    const mutual = https('{mode: MUTUAL, serverCertificate: /s.pem, privateKey: /k.pem}');
    expect(at(mutual, 'spec.servers[0].tls').message).toContain('needs caCertificates');
    const simple = https('{mode: SIMPLE, privateKey: /k.pem, caCrl: /crl.pem}');
    expect(simple.map((i) => i.message)).toEqual([
      'mode SIMPLE needs serverCertificate (or credentialName pointing at a secret)',
      'caCrl has no effect with mode SIMPLE, which does not verify clients',
    ]);
    expect(
      at(https('{mode: MUTUAL, credentialName: c, caCrl: /crl.pem}'), 'spec.servers[0].tls.caCrl').message,
    ).toContain('cannot be combined with credentialName');
    const certs = https(
      `{mode: SIMPLE, tlsCertificates: [{serverCertificate: /a, privateKey: /a}, {serverCertificate: /b}, {serverCertificate: /c, privateKey: /c}]}`,
    );
    expect(at(certs, 'spec.servers[0].tls.tlsCertificates').level).toBe('warning');
    expect(at(certs, 'spec.servers[0].tls.tlsCertificates[1]').message).toContain('needs privateKey');
  });

  it('warns about legacy TLS versions and unknown or duplicate cipher suites', () => {
    const issues = server(
      '{number: 443, name: https, protocol: HTTPS}',
      '    tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_0}\n',
    );
    expect(at(issues, 'spec.servers[0].tls.minProtocolVersion').level).toBe('warning');
    const suites = server(
      '{number: 443, name: https, protocol: HTTPS}',
      '    tls: {mode: SIMPLE, credentialName: c, cipherSuites: [AES128-SHA, RC4-MD5, AES128-SHA], minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}\n',
    );
    expect(at(suites, 'spec.servers[0].tls.cipherSuites[1]').message).toContain(
      'unknown cipher suite "RC4-MD5"',
    );
    expect(at(suites, 'spec.servers[0].tls.cipherSuites[2]').message).toBe(
      'duplicate cipher suite "AES128-SHA"',
    );
    expect(at(suites, 'spec.servers[0].tls.maxProtocolVersion').level).toBe('warning');
  });
});
