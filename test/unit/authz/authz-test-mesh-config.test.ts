/**
 * `mesh authz test --meshConfigFile`: the mesh config's path normalization, root namespace, trust domain
 * and trust domain aliases apply, as istiod applies them to every proxy; without one, Istio's defaults
 * (BASE, istio-system, cluster.local without aliases).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-authz-meshconfig-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const policies = write(
  'policies.yaml',
  [
    'apiVersion: security.istio.io/v1',
    'kind: AuthorizationPolicy',
    'metadata: {name: deny-admin, namespace: shop}',
    'spec:',
    '  action: DENY',
    '  rules: [{to: [{operation: {paths: ["/admin"]}}]}]',
    '---',
    'apiVersion: security.istio.io/v1',
    'kind: AuthorizationPolicy',
    'metadata: {name: deny-debug, namespace: mesh-root}',
    'spec:',
    '  action: DENY',
    '  rules: [{to: [{operation: {paths: ["/debug"]}}]}]',
    '',
  ].join('\n'),
);
const cases = write(
  'cases.yaml',
  [
    '- name: merged slashes',
    '  destination: {namespace: shop}',
    '  request: {path: "//admin"}',
    '- name: encoded slash',
    '  destination: {namespace: shop}',
    '  request: {path: "/x/..%2fadmin"}',
    '- name: debug',
    '  destination: {namespace: shop}',
    '  request: {path: "/debug"}',
    '',
  ].join('\n'),
);

/** Each case's decision and what decided it. */
async function decisions(...flags: string[]) {
  const r = await runCli(['authz', 'test', '-f', policies, '--cases', cases, '-o', 'json', ...flags]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout).results as Array<{ name: string; decision: string }>).map(
    (x) => `${x.name}: ${x.decision}`,
  );
}

describe('authz test --meshConfigFile', () => {
  it("applies the mesh config's pathNormalization and rootNamespace (Istio's defaults without one)", async () => {
    expect(await decisions()).toEqual(['merged slashes: ALLOW', 'encoded slash: ALLOW', 'debug: ALLOW']);
    const merge = write(
      'merge.yaml',
      'rootNamespace: mesh-root\npathNormalization: {normalization: MERGE_SLASHES}\n',
    );
    expect(await decisions('--meshConfigFile', merge)).toEqual([
      'merged slashes: DENY',
      'encoded slash: ALLOW',
      'debug: DENY',
    ]);
    // the istio ConfigMap, as kubectl get -o yaml writes it; the enum by number (4: DECODE_AND_MERGE_SLASHES)
    const configMap = write(
      'istio.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    pathNormalization: {normalization: 4}\n',
    );
    expect(await decisions('--meshConfigFile', configMap)).toEqual([
      'merged slashes: DENY',
      'encoded slash: DENY',
      'debug: ALLOW',
    ]);
    // --root-namespace given wins over the mesh config's
    expect(await decisions('--meshConfigFile', merge, '--root-namespace', 'istio-system')).toContain(
      'debug: ALLOW',
    );
  });

  it('a normalization Istio does not define is a usage error naming it', async () => {
    const bad = write('bad.yaml', 'pathNormalization: {normalization: STRICT}\n');
    const r = await runCli(['authz', 'test', '-f', policies, '--cases', cases, '--meshConfigFile', bad]);
    expect([r.code, r.stdout, r.stderr.split('\n')[0]]).toEqual([
      64,
      '',
      `Error: invalid --meshConfigFile ${bad}: pathNormalization.normalization "STRICT" is not one of DEFAULT, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES`,
    ]);
  });

  it("reads principals and trust domains under the mesh config's trustDomain and trustDomainAliases", async () => {
    const tdPolicies = write(
      'td-policies.yaml',
      [
        'apiVersion: security.istio.io/v1',
        'kind: AuthorizationPolicy',
        'metadata: {name: only-frontend, namespace: shop}',
        'spec:',
        '  rules:',
        '  - from: [{source: {principals: ["cluster.local/ns/shop/sa/frontend"]}}]',
        '  - from: [{source: {trustDomains: ["old.example"]}}]',
        '    to: [{operation: {paths: ["/public"]}}]',
        '',
      ].join('\n'),
    );
    const tdCases = write(
      'td-cases.yaml',
      [
        '- name: frontend, new domain',
        '  source: {principal: new.example/ns/shop/sa/frontend}',
        '  destination: {namespace: shop}',
        '- name: frontend, old domain',
        '  source: {principal: old.example/ns/shop/sa/frontend}',
        '  destination: {namespace: shop}',
        '- name: frontend, cluster.local',
        '  source: {principal: cluster.local/ns/shop/sa/frontend}',
        '  destination: {namespace: shop}',
        '- name: public from new domain',
        '  source: {principal: new.example/ns/other/sa/x}',
        '  destination: {namespace: shop}',
        '  request: {path: /public}',
        '',
      ].join('\n'),
    );
    const run = async (...flags: string[]) => {
      const r = await runCli(['authz', 'test', '-f', tdPolicies, '--cases', tdCases, '-o', 'json', ...flags]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).results as Array<{ name: string; decision: string }>).map(
        (x) => `${x.name}: ${x.decision}`,
      );
    };
    // Istio's defaults: the policy's principal is taken as written
    expect(await run()).toEqual([
      'frontend, new domain: DENY',
      'frontend, old domain: DENY',
      'frontend, cluster.local: ALLOW',
      'public from new domain: DENY',
    ]);
    // a cluster.local principal stands for the mesh's trust domain and each alias (and no longer for
    // cluster.local itself); a trust domain value that is an alias stands for all of them
    const migrated = write('td-mesh.yaml', 'trustDomain: new.example\ntrustDomainAliases: [old.example]\n');
    expect(await run('--meshConfigFile', migrated)).toEqual([
      'frontend, new domain: ALLOW',
      'frontend, old domain: ALLOW',
      'frontend, cluster.local: DENY',
      'public from new domain: ALLOW',
    ]);
  });
});
