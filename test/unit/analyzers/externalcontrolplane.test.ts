import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const remote = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/externalcontrolplane/remote.yaml'),
  'utf8',
);
const run = (text: string) => analyzeText(text, ['externalcontrolplane.ExternalControlPlaneAnalyzer']);

describe('externalcontrolplane.ExternalControlPlaneAnalyzer', () => {
  it('reports an injector URL that is an IP address and a validator webhook with no address', async () => {
    const findings = await run(remote);
    expect(findings.map((f) => [f.code, f.origin, f.line, f.path])).toEqual([
      [
        'IST0163',
        'ValidatingWebhookConfiguration istio-validator-external-istiod',
        25,
        'webhooks[0].clientConfig',
      ],
      [
        'IST0164',
        'MutatingWebhookConfiguration istio-sidecar-injector-external-istiod',
        10,
        'webhooks[0].clientConfig.url',
      ],
    ]);
    expect(findings[0].message).toContain(
      'The hostname () that was provided for the webhook (rev.validation.istio.io)',
    );
    expect(findings[0].message).toContain('is blank');
  });

  it('accepts host names and webhooks that point at an in-cluster Service', async () => {
    const fixed = remote
      .replace('https://10.20.30.40:15017', 'https://istiod.external.example.com:15017')
      .replace('    caBundle: ""', '    service: {name: istiod, namespace: istio-system, path: /validate}');
    expect(await run(fixed)).toEqual([]);
  });

  it('reports a URL it cannot parse', async () => {
    const broken = remote.replace('https://10.20.30.40:15017/inject', 'istiod:15017 /inject');
    const findings = await run(broken);
    expect(findings.find((f) => f.path === 'webhooks[0].clientConfig.url')!.message).toContain(
      'cannot be read as a URL with a host name',
    );
  });
});
