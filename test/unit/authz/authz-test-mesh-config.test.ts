/**
 * `mesh authz test --meshConfigFile`: the mesh config's path normalization and root namespace apply, as
 * istiod applies them to every proxy; without one, Istio's defaults (BASE, istio-system).
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
});
