import { describe, expect, it } from 'vitest';
import { ConfigDump } from '../../../src/envoy/dump.js';
import { certFacts, certStatus } from '../../../src/certs/facts.js';
import { buildReport, formatRemaining, groupRoots, type ProxyCerts } from '../../../src/certs/report.js';
import { mapBounded } from '../../../src/util/bounded.js';
import { conformanceDump } from '../../support/envoy-admin-server.js';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';

const DAY = 86_400_000;
const now = new Date();

describe('certStatus', () => {
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  it('classifies by the window', () => {
    expect(certStatus(at(-1), at(30), now, 7 * DAY)).toBe('OK');
    expect(certStatus(at(-1), at(6), now, 7 * DAY)).toBe('EXPIRING');
    expect(certStatus(at(-1), at(7), now, 7 * DAY)).toBe('EXPIRING');
    expect(certStatus(at(-10), at(-1), now, 7 * DAY)).toBe('EXPIRED');
    expect(certStatus(at(1), at(10), now, 7 * DAY)).toBe('NOT YET VALID');
  });
});

describe('formatRemaining', () => {
  it('is compact and signed', () => {
    expect(formatRemaining(89 * 86400 + 3600)).toBe('89d');
    expect(formatRemaining(6 * 86400 + 23 * 3600)).toBe('6d23h');
    expect(formatRemaining(3 * 86400)).toBe('3d');
    expect(formatRemaining(5 * 3600 + 3 * 60)).toBe('5h3m');
    expect(formatRemaining(42 * 60)).toBe('42m');
    expect(formatRemaining(30)).toBe('30s');
    expect(formatRemaining(-(2 * 86400 + 3 * 3600))).toBe('-2d3h');
  });
});

describe('certFacts', () => {
  it('reads the leaf, the chain and the root of a real sidecar dump', () => {
    const dump = new ConfigDump(conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json'));
    const facts = certFacts(dump, now, 7 * DAY);
    expect(facts.map((f) => [f.secret, f.kind, f.serial, f.notAfter, f.status])).toEqual([
      ['default', 'leaf', '6fbee254c22900615cb1f74e3d2f1713', '2023-05-16T01:32:52Z', 'EXPIRED'],
      ['default', 'chain', '0193a543fe2b0d9cd4847675394dfc54', '2033-05-02T03:41:33Z', 'OK'],
      ['ROOTCA', 'root', '0193a543fe2b0d9cd4847675394dfc54', '2033-05-02T03:41:33Z', 'OK'],
    ]);
    expect(facts[0]!.identities).toEqual(['spiffe://cluster.local/ns/ambient/sa/namespace-istio-waypoint']);
    expect(facts[0]!.issuer).toBe('O=cluster.local');
  });

  it('reads one root per SPIFFE trust domain bundle', () => {
    const dump = new ConfigDump(
      conformanceDump('istioctl/pkg/writer/envoy/configdump/testdata/secret/spire/config_dump.json'),
    );
    const roots = certFacts(dump, now, 7 * DAY).filter((f) => f.kind === 'root');
    expect(roots.map((r) => [r.trustDomain, r.subject])).toEqual([
      ['east.local', 'O=my-company.org, CN=East Root CA'],
      ['west.local', 'O=my-company.org, CN=West Root CA'],
    ]);
  });

  it('marks data that is not a certificate INVALID', () => {
    const dump = new ConfigDump(
      secretsDump({
        chain: 'not a pem',
        roots: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      }),
    );
    expect(certFacts(dump, now, DAY).map((f) => [f.kind, f.status])).toEqual([
      ['leaf', 'INVALID'],
      ['root', 'INVALID'],
    ]);
  });

  it('requires the secrets section', () => {
    const dump = new ConfigDump({ configs: [] });
    expect(() => certFacts(dump, now, DAY)).toThrow(
      'config dump has no configuration type type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
    );
  });
});

describe('grouping and exit code', () => {
  const rootA = makeCa('cluster.local');
  const rootB = makeCa('other.local', undefined, '02');
  const leaf = makeWorkloadCert(rootA, 'spiffe://cluster.local/ns/a/sa/b', { fromDays: -1, toDays: 30 });
  const proxy = (name: string, roots: string): ProxyCerts => ({
    proxy: name,
    certificates: certFacts(new ConfigDump(secretsDump({ chain: leaf.certPem, roots })), now, 7 * DAY),
  });

  it('puts proxies with the same roots in one set; a bundle with both roots is its own set', () => {
    const proxies = [
      proxy('p1', rootA.certPem),
      proxy('p2', rootA.certPem),
      proxy('p3', rootA.certPem + rootB.certPem),
    ];
    const sets = groupRoots(proxies);
    expect(sets.map((s) => [s.id, s.proxies, s.certificates.length])).toEqual([
      [1, ['p1', 'p2'], 1],
      [2, ['p3'], 2],
    ]);
    // 1-based, as roots[].id and the ROOT SET column
    expect(proxies.map((p) => p.rootSet)).toEqual([1, 1, 2]);
  });

  it('exits 0 when all is well, 79 when roots differ, 1 when only failures', () => {
    expect(buildReport([proxy('p1', rootA.certPem)], now, 7 * DAY).summary.exitCode).toBe(0);
    const differ = buildReport([proxy('p1', rootA.certPem), proxy('p2', rootB.certPem)], now, 7 * DAY);
    expect(differ.summary.rootsDiffer).toBe(true);
    expect(differ.summary.exitCode).toBe(79);
    const failed = buildReport(
      [proxy('p1', rootA.certPem), { proxy: 'p2', certificates: [], error: 'refused' }],
      now,
      7 * DAY,
    );
    expect(failed.summary).toMatchObject({ failed: 1, exitCode: 1 });
  });
});

describe('mapBounded', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, (i * 7) % 5));
        running--;
        return i * 2;
      },
    );
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(4);
  });
});
