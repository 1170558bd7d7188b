import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText, lineOf, withoutKind } from '../../support/analyze.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/destinationrule', name), 'utf8');

const brief = (findings: Awaited<ReturnType<typeof analyzeText>>) =>
  findings.map((f) => [f.code, f.origin, f.line, f.message]);

describe('destinationrule.CaCertificateAnalyzer', () => {
  const text = fixture('tls.yaml');

  // istioctl's wording: the full name, and the port selector as Go prints it
  it('reports TLS origination without a CA at destination, port and subset level, at the mode', async () => {
    const findings = await analyzeText(text, ['destinationrule.CaCertificateAnalyzer']);
    const unverified = (name: string, mode: string, host: string) =>
      `DestinationRule ${name} in namespace shop has TLS mode set to ${mode} but no caCertificates are set to validate server identity for host: ${host}`;
    expect(brief(findings)).toEqual([
      [
        'IST0128',
        'DestinationRule shop/db-tls',
        lineOf(text, 'mode: SIMPLE'),
        unverified('shop/db-tls', 'SIMPLE', 'db.example.com'),
      ],
      [
        'IST0128',
        'DestinationRule shop/payments',
        lineOf(text, 'mode: SIMPLE', 'name: legacy'),
        unverified('shop/payments', 'SIMPLE', 'payments.example.com'),
      ],
      [
        'IST0129',
        'DestinationRule shop/ledger',
        lineOf(text, 'mode: MUTUAL'),
        `${unverified('shop/ledger', 'MUTUAL', 'ledger.example.com')} at port number:8443`,
      ],
    ]);
  });
});

describe('destinationrule.SubsetSelectPodAnalyzer', () => {
  const text = fixture('subsets.yaml');
  const run = (t: string) => analyzeText(t, ['destinationrule.SubsetSelectPodAnalyzer']);
  const noPods = (subset: string) =>
    `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`;
  const unknownHost = [
    'IST0174',
    'DestinationRule shop/typo',
    lineOf(text, 'host: reveiws'),
    'The host reveiws defined in the DestinationRule does not match any services in the mesh.',
  ];

  it('matches subsets against the Deployments and StatefulSets behind the Service, and ServiceEntry endpoints', async () => {
    expect(brief(await run(text))).toEqual([
      ['IST0173', 'DestinationRule shop/legacy-db', lineOf(text, 'name: zone-b'), noPods('zone-b')],
      [
        'IST0173',
        'DestinationRule shop/ratings',
        lineOf(text, '- name: v2', 'name: ratings\n  namespace: shop\nspec:\n  host'),
        noPods('v2'),
      ],
      ['IST0173', 'DestinationRule shop/reviews', lineOf(text, 'name: v3'), noPods('v3')],
      unknownHost,
    ]);
  });

  it('does not judge subsets of a namespace whose workloads are not in the inputs', async () => {
    const manifestsWithoutWorkloads = withoutKind(withoutKind(text, 'Deployment'), 'StatefulSet');
    expect(brief(await run(manifestsWithoutWorkloads))).toEqual([
      [
        'IST0173',
        'DestinationRule shop/legacy-db',
        lineOf(manifestsWithoutWorkloads, 'name: zone-b'),
        noPods('zone-b'),
      ],
      [...unknownHost.slice(0, 2), lineOf(manifestsWithoutWorkloads, 'host: reveiws'), unknownHost[3]],
    ]);
  });

  it('needs Services of the namespace before calling a cluster host unknown; wildcard hosts are never unknown', async () => {
    const withoutServices = withoutKind(text, 'Service');
    expect(brief(await run(withoutServices))).toEqual([
      [
        'IST0173',
        'DestinationRule shop/legacy-db',
        lineOf(withoutServices, 'name: zone-b'),
        noPods('zone-b'),
      ],
    ]);
  });
});
