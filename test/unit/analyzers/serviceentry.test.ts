import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/serviceentry', name), 'utf8');

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('serviceentry.Analyzer', () => {
  const text = fixture('addresses.yaml');
  const required = 'ServiceEntry addresses are required for this protocol.';

  it('reports TCP and protocol-less ports of ServiceEntries without addresses, at the port', async () => {
    expect(brief(await analyzeText(text, ['serviceentry.Analyzer']))).toEqual([
      ['IST0134', 'ServiceEntry shop/mail', lineOf(text, 'number: 587'), required],
      ['IST0134', 'ServiceEntry shop/orders-db', lineOf(text, 'protocol: TCP'), required],
    ]);
  });

  it('is quiet when the DNS proxy allocates addresses', async () => {
    const meshConfig = {
      defaultConfig: {
        proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' },
      },
    };
    expect(await analyzeText(text, ['serviceentry.Analyzer'], { meshConfig })).toEqual([]);
  });
});

describe('serviceentry.ConflictingServiceEntryProtocolAnalyzer', () => {
  const text = fixture('protocols.yaml');

  it('reports entries a namespace sees together that give one host and port two protocols', async () => {
    const findings = await analyzeText(text, ['serviceentry.ConflictingServiceEntryProtocolAnalyzer']);
    const payments =
      'Multiple ServiceEntries (checkout/payments-tls, shop/payments-http) define the same host "payments.example.com" and port 8443 with conflicting protocols (HTTP, TLS).';
    const reviews =
      'Multiple ServiceEntries (shop/reviews-grpc, shop/reviews-vms) define the same host "reviews.shop.svc.cluster.local" and port 9080 with conflicting protocols (GRPC, HTTP).';
    expect(brief(findings)).toEqual([
      ['IST0177', 'ServiceEntry shop/payments-http', lineOf(text, 'protocol: HTTP'), payments],
      ['IST0177', 'ServiceEntry checkout/payments-tls', lineOf(text, 'protocol: TLS'), payments],
      ['IST0177', 'ServiceEntry shop/reviews-grpc', lineOf(text, 'protocol: GRPC'), reviews],
      [
        'IST0177',
        'ServiceEntry shop/reviews-vms',
        lineOf(text, 'protocol: HTTP', 'name: reviews-vms'),
        reviews,
      ],
    ]);
  });
});
