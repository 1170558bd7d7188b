import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoURL } from '../../../src/analyzers/schema/rules/common-sec.js';
import { SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import type { Resource } from '../../../src/manifests/types.js';

describe('parseGoURL (URLs read the way Go net/url reads them)', () => {
  it('splits scheme, host and port, lower-casing the scheme', () => {
    expect(parseGoURL('HTTPS://Example.com:8443/a?b#c')).toEqual({
      scheme: 'https',
      host: 'Example.com',
      port: '8443',
    });
    expect(parseGoURL('http://[::1]:80/x')).toEqual({ scheme: 'http', host: '[::1]', port: '80' });
    expect(parseGoURL('oci:opaque-part')).toEqual({ scheme: 'oci', host: '', port: '' });
    expect(parseGoURL('/abs/path', true)).toEqual({ scheme: '', host: '', port: '' });
  });
  it('rejects the URLs Go rejects, saying what is wrong', () => {
    expect(parseGoURL('http://h:x/')).toEqual({ error: 'the port after the host is not a number (":x")' });
    expect(parseGoURL('http://[::1/x')).toEqual({ error: 'the host opens with "[" but has no closing "]"' });
    expect(parseGoURL('http://a b/')).toEqual({
      error: 'the host name contains " ", which a host name cannot contain',
    });
    expect(parseGoURL('http://u ser@h/')).toEqual({
      error: 'the user part before "@" has characters that must be percent-encoded',
    });
    expect(parseGoURL('://x')).toEqual({ error: 'it starts with ":", with no scheme before it' });
    expect(parseGoURL('1a:b/c')).toEqual({ error: 'it has a ":" in its first path segment but no scheme' });
    expect(parseGoURL('relative/path', true)).toEqual({
      error: 'it is neither an absolute URL nor an absolute path',
    });
    expect(parseGoURL('', true)).toEqual({ error: 'it is empty' });
    expect(parseGoURL('/x%2')).toEqual({
      error: '"%2" is not a valid percent-escape (expected % and two hex digits)',
    });
  });
});

describe('robustness: the security/telemetry/extensions rules never throw', () => {
  // Field names the rules read, so that generated specs reach deep into every check.
  const KEYS = (
    'selector matchLabels targetRef targetRefs kind group name namespace action provider rules from ' +
    'to when source operation key values notValues principals serviceAccounts trustDomains ipBlocks ' +
    'notRemoteIpBlocks ports paths notPorts hosts jwtRules issuer jwksUri jwks audiences fromHeaders ' +
    'fromParams fromCookies outputClaimToHeaders claim header timeout portLevelMtls mtls tracing ' +
    'metrics accessLogging providers randomSamplingPercentage customTags literal value environment ' +
    'overrides tagOverrides match customMetric filter expression url sha256 constructor __proto__ ' +
    'toString imagePullSecret pluginName vmConfig env valueFrom number wasm lua inlineCode'
  ).split(' ');
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(
        'constructor',
        'a.constructor(1, 2)',
        null,
        '',
        '*',
        'DENY',
        'CUSTOM',
        'REMOVE',
        'HOST',
        '1.2.3.4/8',
        '{**}',
        'a[b]',
        '8080',
        0,
        -1,
        1e9,
      ),
      fc.string(),
      fc.double(),
      fc.boolean(),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('value'), { maxKeys: 5 }),
    ),
  }));
  const kinds = Object.keys(SEMANTIC_VALIDATORS).filter((k) =>
    [
      'AuthorizationPolicy',
      'RequestAuthentication',
      'PeerAuthentication',
      'Telemetry',
      'WasmPlugin',
      'TrafficExtension',
    ].includes(k),
  );

  it.each(kinds)('%s', (kind) => {
    expect(kinds).toHaveLength(6);
    fc.assert(
      fc.property(value, (spec) => {
        const resource = {
          kind,
          name: 'x',
          namespace: 'ns',
          spec,
          body: { spec },
          metadata: {},
        } as unknown as Resource;
        for (const issue of SEMANTIC_VALIDATORS[kind]!(resource)) {
          expect(['error', 'warning']).toContain(issue.level);
          expect(typeof issue.message).toBe('string');
          expect(typeof issue.path).toBe('string');
        }
      }),
      { numRuns: 400 },
    );
  });
});
