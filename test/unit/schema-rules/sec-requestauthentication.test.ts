import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const ra = (spec: string) => check('RequestAuthentication', 'security.istio.io/v1', spec);
/** A RequestAuthentication with one JWT rule whose inline `jwks` is the given JSON. */
const withJwks = (jwks: string) =>
  ra(`spec:\n  jwtRules:\n  - issuer: iss\n    jwks: ${JSON.stringify(jwks)}\n`);

describe('RequestAuthentication semantic rules', () => {
  it('accepts realistic resources (jwksUri with ports, inline EC/RSA JWKS, header/param/cookie locations)', () => {
    const resources = fixture('requestauthentication-valid.yaml');
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  it('requires an issuer or a jwksUri, and non-empty audiences', () => {
    const issues = ra('spec:\n  jwtRules:\n  - audiences: [a, ""]\n');
    expect(at(issues, 'spec.jwtRules[0].issuer')).toMatchObject({
      level: 'error',
      message: 'a JWT rule needs `issuer`, `jwksUri` or both',
    });
    expect(at(issues, 'spec.jwtRules[0].audiences[1]').message).toBe(
      'audiences must not contain empty strings',
    );
  });

  it('requires jwksUri to be an http(s) URL with a numeric port', () => {
    const uri = (u: string) => ra(`spec:\n  jwtRules:\n  - issuer: i\n    jwksUri: "${u}"\n`);
    expect(at(uri('ftp://example.com/jwks'), 'spec.jwtRules[0].jwksUri').message).toBe(
      'jwksUri must be an http:// or https:// URL; its scheme is ftp',
    );
    expect(at(uri('example.com/jwks.json'), 'spec.jwtRules[0].jwksUri').message).toBe(
      'jwksUri must be an http:// or https:// URL; it has no scheme',
    );
    expect(at(uri('https://example.com:https/jwks'), 'spec.jwtRules[0].jwksUri').message).toContain(
      'jwksUri is not a valid URL: the port after the host is not a number (":https")',
    );
    expect(at(uri('https://example.com:99999/jwks'), 'spec.jwtRules[0].jwksUri').message).toContain(
      'jwksUri port 99999 is above 65535',
    );
    expect(uri('HTTPS://Example.com:8443/jwks')).toEqual([]);
  });

  describe('inline jwks', () => {
    it('rejects text that is not a JWK set, without echoing it', () => {
      const issue = at(withJwks('{"keys": [secret-material'), 'spec.jwtRules[0].jwks');
      expect(issue.level).toBe('error');
      expect(issue.message).toMatch(/^jwks is not a usable key set: invalid JSON at offset \d+$/);
      expect(issue.message).not.toContain('secret-material');
    });
    it('rejects keys without a known type, required members or a known curve', () => {
      const msg = (jwks: string) => at(withJwks(jwks), 'spec.jwtRules[0].jwks').message;
      expect(msg('{"keys": {}}')).toContain('"keys" must be an array');
      expect(msg('{"keys": [{"kty": "DSA"}]}')).toContain('keys[0] has unsupported key type "DSA"');
      expect(msg('{"keys": [{"kty": "constructor"}]}')).toContain('unsupported key type "constructor"');
      expect(msg('{"keys": [{"kty": "RSA", "e": "AQAB"}]}')).toContain('keys[0] (RSA) is missing "n"');
      expect(msg('{"keys": [{"kty": "EC", "crv": "P-999", "x": "AA", "y": "AA"}]}')).toContain('EC curve');
      expect(msg('{"keys": [{"kty": "RSA", "n": "not base64!", "e": "AQAB"}]}')).toContain(
        'not base64url-encoded',
      );
      expect(msg('"just a string"')).toContain('expected a JSON object');
    });
    it('accepts a single JWK object as well as a set', () => {
      const { publicKey } = generateKeyPairSync('ed25519');
      expect(withJwks(JSON.stringify(publicKey.export({ format: 'jwk' })))).toEqual([]);
    });
    it('warns about private key material and never prints it', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
      const issues = withJwks(JSON.stringify({ keys: [jwk] }));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ level: 'warning', path: 'spec.jwtRules[0].jwks' });
      expect(issues[0]!.message).toContain('private key material (keys[0] has "d")');
      expect(issues[0]!.message).not.toContain(jwk.d!);
    });
    it('warns about a symmetric (oct) key as istiod does, without printing it', () => {
      const k = 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow';
      const issues = withJwks(JSON.stringify({ keys: [{ kty: 'oct', k }] }));
      expect(issues).toEqual([
        {
          level: 'warning',
          path: 'spec.jwtRules[0].jwks',
          message:
            'jwks contains private key material (keys[0] is a symmetric ("oct") key); publish only public keys and treat the included private keys as compromised',
        },
      ]);
      expect(issues[0]!.message).not.toContain(k);
    });
  });

  it('checks token locations and claim-to-header outputs', () => {
    const issues = ra(`spec:
  jwtRules:
  - issuer: i
    fromHeaders: [null, {prefix: "Bearer "}]
    fromParams: [""]
    fromCookies: [""]
    outputClaimToHeaders:
    - null
    - {claim: sub}
    - {claim: sub, header: "x jwt sub"}
`);
    const r = 'spec.jwtRules[0]';
    expect(at(issues, `${r}.fromHeaders[0]`).message).toContain('a fromHeaders entry cannot be null');
    expect(at(issues, `${r}.fromHeaders[1].name`).message).toContain(
      'a fromHeaders entry needs the header `name`',
    );
    expect(at(issues, `${r}.fromParams[0]`).message).toBe('fromParams must not contain empty strings');
    expect(at(issues, `${r}.fromCookies[0]`).message).toBe('fromCookies must not contain empty strings');
    expect(at(issues, `${r}.outputClaimToHeaders[0]`).message).toContain(
      'an outputClaimToHeaders entry cannot be null',
    );
    expect(at(issues, `${r}.outputClaimToHeaders[1].header`).message).toBe(
      'an outputClaimToHeaders entry needs a non-empty `header`',
    );
    expect(at(issues, `${r}.outputClaimToHeaders[2].header`).message).toBe(
      `"x jwt sub" cannot be used as a header name: only letters, digits, '-' and '_' are allowed`,
    );
    expect(issues).toHaveLength(7);
  });

  it('requires the timeout to be a duration of at least 1ms in whole milliseconds', () => {
    const timeout = (t: string) => ra(`spec:\n  jwtRules:\n  - issuer: i\n    timeout: "${t}"\n`);
    expect(at(timeout('500us'), 'spec.jwtRules[0].timeout').message).toContain('at least 1ms');
    expect(at(timeout('1.5ms'), 'spec.jwtRules[0].timeout').message).toContain('millisecond precision');
    expect(at(timeout('soon'), 'spec.jwtRules[0].timeout').message).toContain('not a valid duration');
    expect(timeout('2m')).toEqual([]);
  });

  it('applies the selector / targetRef rules', () => {
    const issues = ra(`spec:
  selector: {matchLabels: {app: web}}
  targetRef: {kind: Service, name: web}
`);
    expect(at(issues, 'spec.targetRef')).toMatchObject({ level: 'error' });
    expect(at(issues, 'spec.targetRef').message).toContain('found selector and targetRef');
  });
});
