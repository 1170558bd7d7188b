/**
 * `mesh authz test` evaluates AuthorizationPolicy fields as istiod turns them into Envoy RBAC matchers
 * (istio pilot/pkg/security/authz/model/generator.go, matcher/*.go) and as Envoy sees the request (path
 * normalization): each case here was once decided otherwise.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  matchPrincipal,
  matchRequestPrincipal,
  matchServiceAccount,
  matchTrustDomain,
  normalizePath,
} from '../../../src/authz/match.js';
import { runCli } from '../../support/cli.js';

const FIX = join(import.meta.dirname, '../../fixtures/authz/istio-semantics');
const dir = mkdtempSync(join(tmpdir(), 'mesh-authz-semantics-'));

describe('Istio matchers', () => {
  it('principals: istiod prefixes spiffe://, so a policy value written with it never matches', () => {
    expect(matchPrincipal('cluster.local/ns/a/sa/b', 'spiffe://cluster.local/ns/a/sa/b')).toBe(true);
    expect(matchPrincipal('cluster.local/ns/a/sa/b', 'cluster.local/ns/a/sa/b')).toBe(true);
    expect(matchPrincipal('spiffe://cluster.local/ns/a/sa/b', 'cluster.local/ns/a/sa/b')).toBe(false);
    expect(matchPrincipal('spiffe://cluster.local/*', 'spiffe://cluster.local/ns/a/sa/b')).toBe(false);
    expect(matchPrincipal('*/sa/b', 'cluster.local/ns/a/sa/b')).toBe(true);
    expect(matchPrincipal('*', 'cluster.local/ns/a/sa/b')).toBe(true);
    expect(matchPrincipal('*', undefined)).toBe(false);
  });

  it('serviceAccounts: ns/sa, or sa in the policy namespace, anywhere after the trust domain', () => {
    const uri = 'spiffe://cluster.local/ns/shop/sa/frontend';
    expect(matchServiceAccount('shop', 'frontend', uri)).toBe(true);
    expect(matchServiceAccount('other', 'frontend', uri)).toBe(false);
    expect(matchServiceAccount('other', 'shop/frontend', uri)).toBe(true);
    expect(matchServiceAccount('shop', 'front', uri)).toBe(false);
    expect(matchServiceAccount('shop', 'frontend', `${uri}-x`)).toBe(false);
    expect(matchServiceAccount('shop', 'frontend', 'spiffe://td/ns/shop/k/v/sa/frontend/x/y')).toBe(true);
    expect(matchServiceAccount('shop', 'frontend', undefined)).toBe(false);
  });

  it('trustDomains: exact, * and one wildcard within the trust domain', () => {
    const uri = 'spiffe://td.example.com/ns/a/sa/b';
    expect(matchTrustDomain('td.example.com', uri)).toBe(true);
    expect(matchTrustDomain('td.example', uri)).toBe(false);
    expect(matchTrustDomain('*.example.com', uri)).toBe(true);
    expect(matchTrustDomain('td.*', uri)).toBe(true);
    expect(matchTrustDomain('*', uri)).toBe(true);
    expect(matchTrustDomain('*', undefined)).toBe(false);
  });

  it('requestPrincipals: issuer and subject matched apart, * standing for a non-empty value', () => {
    const jwt = (iss?: string, sub?: string) => ({ iss, sub });
    expect(matchRequestPrincipal('https://idp/*', jwt('https://idp', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('https://idp/*', jwt('https://idp', ''))).toBe(false);
    expect(matchRequestPrincipal('https://idp/al*', jwt('https://idp', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('*/alice', jwt('https://idp', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('*idp/alice', jwt('https://idp', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('*ice', jwt('https://idp', 'alice'))).toBe(true);
    // cut at the last '/': "https://*" is issuer "https:/" with any subject, as istiod reads it
    expect(matchRequestPrincipal('https://*', jwt('https://idp', 'alice'))).toBe(false);
    expect(matchRequestPrincipal('idp.*', jwt('idp.example', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('*', jwt('https://idp', ''))).toBe(false);
    expect(matchRequestPrincipal('https://idp/alice', jwt('https://idp', 'alice'))).toBe(true);
    expect(matchRequestPrincipal('https://idp/alice', undefined)).toBe(false);
  });

  it('paths are normalized as each pathNormalization option defines it', () => {
    const all = (p: string) =>
      (['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const).map(
        (m) => normalizePath(p, m).path,
      );
    expect(all('/a/../b')).toEqual(['/a/../b', '/b', '/b', '/b']);
    expect(all('/%61/%2E%2e/c?q=/../')).toEqual(['/%61/%2E%2e/c', '/c', '/c', '/c']);
    expect(all('/%61dmin')).toEqual(['/%61dmin', '/admin', '/admin', '/admin']);
    expect(all('//a\\b')).toEqual(['//a\\b', '//a/b', '/a/b', '/a/b']);
    expect(all('/a%2Fb%5cc')).toEqual(['/a%2Fb%5cc', '/a%2Fb%5cc', '/a%2Fb%5cc', '/a/b/c']);
    expect(all('/../../x/./')).toEqual(['/../../x/./', '/x/', '/x/', '/x/']);
    expect(all('/%252e%252e/x')).toEqual([
      '/%252e%252e/x',
      '/%252e%252e/x',
      '/%252e%252e/x',
      '/%252e%252e/x',
    ]);
    expect(normalizePath('/a%00b', 'NONE')).toEqual({
      path: '/a%00b',
      rejected: 'Envoy refuses a path with %00 (400 Bad Request)',
    });
  });
});

describe('mesh authz test: Istio semantics', () => {
  it('service accounts, hosts with ports, spiffe:// principals, normalized paths, JWT subjects, duplicates', async () => {
    const policies = join(FIX, 'policies.yaml');
    const r = await runCli(['authz', 'test', '-f', policies, '--cases', join(FIX, 'cases.yaml')]);
    expect(r).toEqual({
      code: 0,
      stdout: [
        'CASE                                    EXPECTED   DECISION   BY                                                                     RESULT',
        'other service account                   DENY       DENY       no rule of the ALLOW policies shop/only-frontend-sa matches            pass',
        'frontend service account                ALLOW      ALLOW      ALLOW shop/only-frontend-sa rules[0]                                   pass',
        'ops admin service account               ALLOW      ALLOW      ALLOW shop/only-frontend-sa rules[0]                                   pass',
        'host with its port                      ALLOW      ALLOW      no ALLOW policy selects the workload (allowed by default)              pass',
        'host without port                       DENY       DENY       DENY shop/deny-admin-host rules[0]                                     pass',
        'spiffe principal in the policy          ALLOW      ALLOW      no ALLOW policy selects the workload (allowed by default)              pass',
        'dot-dot                                 DENY       DENY       DENY shop/deny-admin-path rules[0] (path normalized to /admin)         pass',
        'percent-encoded                         DENY       DENY       DENY shop/deny-admin-path rules[0] (path normalized to /admin/users)   pass',
        'double slash (BASE keeps it)            ALLOW      ALLOW      no ALLOW policy selects the workload (allowed by default)              pass',
        'encoded slash (BASE keeps it)           ALLOW      ALLOW      no ALLOW policy selects the workload (allowed by default)              pass',
        'NUL byte                                DENY       DENY       Envoy refuses a path with %00 (400 Bad Request)                        pass',
        'jwt with empty subject                  DENY       DENY       no rule of the ALLOW policies shop/jwt matches                         pass',
        'jwt with a subject                      ALLOW      ALLOW      ALLOW shop/jwt rules[0]                                                pass',
        'jwt subject with a slash, from claims   ALLOW      ALLOW      ALLOW shop/jwt rules[0]                                                pass',
        'duplicate policy                        ALLOW      ALLOW      ALLOW shop/twice rules[0]                                              pass',
        '',
      ].join('\n'),
      stderr: [
        `warning: ${policies}:24: deny-spiffe: rules[0].from[0].source.principals[0] "spiffe://cluster.local/ns/evil/sa/attacker" never matches: Istio adds spiffe:// to principals itself (write "cluster.local/ns/evil/sa/attacker")`,
        `warning: ${policies}:65: AuthorizationPolicy shop/twice is also defined at ${policies}:57; only this later definition is evaluated (applied in this order, the cluster would keep it)`,
        '15/15 case(s) with an expectation passed.',
        '',
      ].join('\n'),
    });
  });

  it('-o json carries the normalized path', async () => {
    const r = await runCli([
      'authz',
      'test',
      '-f',
      join(FIX, 'policies.yaml'),
      '--cases',
      join(FIX, 'cases.yaml'),
      '-o',
      'json',
    ]);
    const results = JSON.parse(r.stdout).results as Array<{ name: string; normalizedPath?: string }>;
    expect(results.filter((x) => x.normalizedPath).map((x) => [x.name, x.normalizedPath])).toEqual([
      ['dot-dot', '/admin'],
      ['percent-encoded', '/admin/users'],
    ]);
  });

  it('refuses a header value, path or principal written as a YAML number or boolean (exit 65)', async () => {
    const cases = join(dir, 'numbers.yaml');
    writeFileSync(
      cases,
      [
        '- {name: v1.10, destination: {namespace: v}, request: {headers: {x-api-version: 1.10}}}',
        '- {name: v007, destination: {namespace: v}, request: {headers: {x-api-version: 007}}}',
        '- name: hex',
        '  destination: {namespace: v}',
        '  request:',
        '    path: 0x1F',
        '- {name: flag, destination: {namespace: v, labels: {debug: true}}}',
        '- {name: quoted, destination: {namespace: v}, request: {headers: {x-api-version: "1.10"}}}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['authz', 'test', '-f', join(FIX, 'policies.yaml'), '--cases', cases]);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe(
      'CASE     EXPECTED   DECISION   BY                                                          RESULT\n' +
        'quoted   -          ALLOW      no ALLOW policy selects the workload (allowed by default)   -\n',
    );
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      `error: ${cases}:1: case "v1.10": request.headers.x-api-version must be a string: quote it ("1.10"); unquoted, YAML reads the number 1.1`,
      `error: ${cases}:2: case "v007": request.headers.x-api-version must be a string: quote it ("007"); unquoted, YAML reads the number 7`,
      `error: ${cases}:6: case "hex": request.path must be a string: quote it ("0x1F"); unquoted, YAML reads the number 31`,
      `error: ${cases}:7: case "flag": destination.labels.debug must be a string: quote it ("true"); unquoted, YAML reads the boolean true`,
    ]);
  });
});
