import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';
import { messageType } from '../../../src/analyzers/messages.js';

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

  const hook = (url: string) =>
    [
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingWebhookConfiguration',
      'metadata:',
      '  name: istio-validator-x',
      'webhooks:',
      '- name: h.validation.istio.io',
      `  clientConfig: {url: ${JSON.stringify(url)}}`,
    ].join('\n');
  const brief = async (url: string) =>
    (await run(hook(url))).map((f) => [f.code, messageType(f.code).level, f.origin, f.message]);

  it("reports a URL Go's url.Parse refuses, in istioctl's words", async () => {
    for (const url of [
      ' https://10.0.0.1/validate',
      'https://istiod:abc/x',
      'https://ho st/x',
      'https://h/%zz',
    ])
      expect(await brief(url), url).toEqual([
        [
          'IST0163',
          'Warning',
          'ValidatingWebhookConfiguration istio-validator-x',
          `The hostname (${url}) that was provided for the webhook (h.validation.istio.io) to reach the ingress gateway on the external control plane cluster was provided in an invalid format. Traffic may not flow properly.`,
        ],
      ]);
  });

  it('reads the host as Go does: only net.ParseIP addresses are IP addresses, any port number parses', async () => {
    for (const url of [
      'https://10.1/validate',
      'https:10.0.0.1/x',
      'https://010.0.0.1/x',
      'istiod:15017 /inject',
      '',
    ])
      expect(await brief(url), url).toEqual([]);
    for (const url of ['https://10.0.0.1:99999/x', '//10.0.0.1/x', 'https://[::1]:15017/x'])
      expect(await brief(url), url).toEqual([
        [
          'IST0164',
          'Info',
          'ValidatingWebhookConfiguration istio-validator-x',
          `The address (${url}) that was provided for the webhook (h.validation.istio.io) to reach the ingress gateway on the external control plane cluster is an IP address. This is not recommended for a production environment.`,
        ],
      ]);
  });
});
