import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const istiod = readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/authn/istiod.yaml'), 'utf8');
const run = (text: string) => analyzeText(text, ['authn.BlockedCIDRsAnalyzer']);

describe('authn.BlockedCIDRsAnalyzer', () => {
  it('reports istiod when RequestAuthentications exist and BLOCKED_CIDRS_IN_JWKS_URIS is empty', async () => {
    expect(await run(istiod)).toEqual([
      {
        code: 'IST0175',
        origin: 'Deployment istio-system/istiod',
        line: 34,
        path: 'spec.template.spec.containers[0].env',
        message:
          'BLOCKED_CIDRS_IN_JWKS_URIS is not configured but 1 RequestAuthentication resource(s) exist (shop/jwt-google). Consider configuring it to restrict JWKS URI fetches to trusted networks.',
      },
    ]);
  });

  it('lists at most five RequestAuthentications by name', async () => {
    const ra = (i: number) =>
      `---\napiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: jwt-${i}, namespace: shop}\nspec: {}\n`;
    const [f] = await run(istiod + [1, 2, 3, 4, 5, 6].map(ra).join(''));
    expect(f.message).toContain('7 RequestAuthentication resource(s) exist (shop/jwt-google, shop/jwt-1');
    expect(f.message).toContain('shop/jwt-4, and 2 more)');
  });

  it('is quiet once the variable has a value, or without any RequestAuthentication', async () => {
    expect(await run(istiod.replace('value: ""', 'value: "10.0.0.0/8,169.254.169.254/32"'))).toEqual([]);
    expect(await run(istiod.slice(istiod.indexOf('---')))).toEqual([]);
  });
});
