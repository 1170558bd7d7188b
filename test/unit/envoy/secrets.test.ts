import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certValidAt, dataSourceText, firstCertificate, pemCertificates } from '../../../src/envoy/certs.js';
import { ConfigDump } from '../../../src/envoy/dump.js';
import { rootCaCertificates, rootCasMatch } from '../../../src/envoy/rootca.js';
import { secretRows } from '../../../src/envoy/secrets.js';

const DIR = join(
  import.meta.dirname,
  '../../../../shared/conformance/istioctl-proxy/istioctl/pkg/writer/envoy/configdump/testdata/secret',
);
const load = (name: string) =>
  ConfigDump.parse(readFileSync(join(DIR, name, 'config_dump.json'), 'utf8'), name);

describe('secret rows', () => {
  it('reads type, serial (32+ hex digits), dates and SPIFFE trust domains from the certificates', () => {
    const rows = secretRows(load('spire').secrets(), new Date('2025-01-01Z'));
    expect(rows.map((r) => [r.name, r.type, r.serial, r.notAfter, r.trustDomain, r.valid])).toEqual([
      [
        'default',
        'Cert Chain',
        'cd4902e499169b11ec171dad1668adbb',
        '2024-10-27T22:44:37Z',
        'east.local',
        false,
      ],
      [
        'ROOTCA',
        'CA',
        '529cbbaf623611d057b517d4ffe341e4e8035037',
        '2034-10-23T13:23:05Z',
        'east.local',
        true,
      ],
      [
        'ROOTCA',
        'CA',
        '6726e5fad145f8ca9a711f0550297ced839ee37f',
        '2034-10-23T13:23:05Z',
        'west.local',
        true,
      ],
    ]);
  });

  it('lists warming secrets first and shows secrets without data as not valid', () => {
    const rows = secretRows(load('istio').secrets(), new Date('2025-01-01Z'));
    expect(rows.map((r) => [r.name, r.status, r.type, r.valid])).toEqual([
      ['configmap://some/thing', 'WARMING', '', false],
      ['default', 'ACTIVE', 'Cert Chain', false],
      ['ROOTCA', 'ACTIVE', 'CA', true],
    ]);
  });

  it('counts a certificate valid only strictly inside its validity window', () => {
    const secret = load('istio')
      .secrets()
      .find((s) => s.name === 'default')!;
    const cert = firstCertificate(dataSourceText((secret.value as any).tls_certificate.certificate_chain))!;
    expect(certValidAt(cert, cert.notBefore)).toBe(false);
    expect(certValidAt(cert, new Date(cert.notBefore.getTime() + 1000))).toBe(true);
    expect(certValidAt(cert, cert.notAfter)).toBe(false);
  });

  it('treats data that is not a certificate as unparsable', () => {
    expect(
      firstCertificate('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
    ).toBeUndefined();
    expect(firstCertificate('garbage')).toBeUndefined();
    expect(pemCertificates('-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----').length).toBe(1);
  });
});

describe('rootca-compare', () => {
  it('compares decoded certificates: same root matches, different roots do not', () => {
    const istio = rootCaCertificates(load('istio'));
    const spire = rootCaCertificates(load('spire')); // roots per trust domain
    expect(spire.length).toBe(2);
    expect(rootCasMatch(istio, istio)).toBe(true);
    expect(rootCasMatch(istio, spire)).toBe(false);
    expect(rootCasMatch([...istio, ...spire], spire.slice(1))).toBe(true);
  });

  it('needs an active ROOTCA secret', () => {
    expect(() =>
      rootCaCertificates(
        new ConfigDump({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump' }] }),
      ),
    ).toThrow('the proxy has no active ROOTCA secret');
  });
});
