/**
 * Principals and trust domains under the mesh's trust domain and aliases, as istiod rewrites a policy's
 * rules before building the RBAC filter (what `authz test --meshConfigFile` then matches against).
 */
import { describe, expect, it } from 'vitest';
import {
  principalsWithAliases,
  rulesWithTrustDomains,
  trustDomainsWithAliases,
} from '../../../src/authz/trust-domain.js';

describe('principalsWithAliases', () => {
  it('writes a principal of a known trust domain once per trust domain', () => {
    expect(principalsWithAliases(['td1/ns/a/sa/b'], ['td1', 'td2', 'td3'])).toEqual([
      'td1/ns/a/sa/b',
      'td2/ns/a/sa/b',
      'td3/ns/a/sa/b',
    ]);
    // an alias as written also stands for the trust domain
    expect(principalsWithAliases(['td2/ns/a/sa/b'], ['td1', 'td2'])).toEqual([
      'td1/ns/a/sa/b',
      'td2/ns/a/sa/b',
    ]);
  });

  it('reads cluster.local as the mesh trust domain, with or without aliases', () => {
    expect(principalsWithAliases(['cluster.local/ns/a/sa/b'], ['example.org'])).toEqual([
      'example.org/ns/a/sa/b',
    ]);
    expect(principalsWithAliases(['cluster.local/ns/a/sa/b'], ['cluster.local'])).toEqual([
      'cluster.local/ns/a/sa/b',
    ]);
  });

  it('keeps principals it does not enforce a trust domain on, and unknown trust domains', () => {
    const tds = ['td1', 'td2'];
    expect(principalsWithAliases(['*', 'td1/ns/a/*', '*/ns/a/sa/b', 'other/ns/a/sa/b'], tds)).toEqual([
      '*',
      'td1/ns/a/*',
      '*/ns/a/sa/b',
      'other/ns/a/sa/b',
    ]);
    // spiffe:// adds parts: never rewritten (such a value never matches anyway)
    expect(principalsWithAliases(['spiffe://td1/ns/a/sa/b'], tds)).toEqual(['spiffe://td1/ns/a/sa/b']);
  });

  it('matches wildcard trust domains either way round; a suffix pattern stays for domains it covers', () => {
    expect(principalsWithAliases(['*.example/ns/a/sa/b'], ['x.example', 'other.org'])).toEqual([
      '*.example/ns/a/sa/b',
      'other.org/ns/a/sa/b',
    ]);
    expect(principalsWithAliases(['prod.example/ns/a/sa/b'], ['prod*', 'old'])).toEqual([
      'prod*/ns/a/sa/b',
      'old/ns/a/sa/b',
    ]);
  });

  it('drops duplicates it makes, in order', () => {
    expect(principalsWithAliases(['td1/ns/a/sa/b', 'td2/ns/a/sa/b'], ['td1', 'td2'])).toEqual([
      'td1/ns/a/sa/b',
      'td2/ns/a/sa/b',
    ]);
  });
});

describe('trustDomainsWithAliases', () => {
  it('expands a trust domain or alias to all of them, other values as written', () => {
    expect(trustDomainsWithAliases(['td2', 'other', 'td1'], ['td1', 'td2'])).toEqual(['td1', 'td2', 'other']);
  });
});

describe('rulesWithTrustDomains', () => {
  it('rewrites principals and trust domains in from and when, leaving everything else and the input alone', () => {
    const rules = [
      {
        from: [
          {
            source: { principals: ['cluster.local/ns/a/sa/b'], notTrustDomains: ['old'], namespaces: ['a'] },
          },
        ],
        to: [{ operation: { paths: ['/x'] } }],
        when: [
          { key: 'source.principal', notValues: ['cluster.local/ns/a/sa/c'] },
          { key: 'source.trustDomain', values: ['new'] },
          { key: 'request.headers[x]', values: ['cluster.local/ns/a/sa/b'] },
        ],
      },
    ];
    const before = JSON.stringify(rules);
    expect(rulesWithTrustDomains(rules, ['new', 'old'])).toEqual([
      {
        from: [
          {
            source: {
              principals: ['new/ns/a/sa/b', 'old/ns/a/sa/b'],
              notTrustDomains: ['new', 'old'],
              namespaces: ['a'],
            },
          },
        ],
        to: [{ operation: { paths: ['/x'] } }],
        when: [
          { key: 'source.principal', notValues: ['new/ns/a/sa/c', 'old/ns/a/sa/c'] },
          { key: 'source.trustDomain', values: ['new', 'old'] },
          { key: 'request.headers[x]', values: ['cluster.local/ns/a/sa/b'] },
        ],
      },
    ]);
    expect(JSON.stringify(rules)).toBe(before);
  });
});
