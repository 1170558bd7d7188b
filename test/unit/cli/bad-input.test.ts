/** Bad input met through the CLI: each case is reported in one located line and hides nothing else. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mesh } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mesh-bad-'));

const PLANTED = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: planted
  namespace: default
spec:
  hosts: [planted]
  http:
  - route:
    - destination:
        host: planted
      weight: -5
`;

describe('mesh analyze: one hostile document hides nothing else', () => {
  it('a 10,000-level JSON or YAML flow document is refused with its line; the sibling’s finding stays', () => {
    const dir = tmp();
    const deep = 10_000;
    const vsJson = (x: string) =>
      `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"deep","namespace":"default"},"spec":{"hosts":["a"],"http":[{"route":[{"destination":{"host":"a"}}],"x":${x}}]}}`;
    writeFileSync(join(dir, 'deep.json'), vsJson(`${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}`));
    writeFileSync(
      join(dir, 'flow.yaml'),
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: flow\nspec:\n  hosts: [f]\n  x: ${'['.repeat(deep)}1${']'.repeat(deep)}\n`,
    );
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    const r = mesh(['analyze', dir]);
    expect(r.stdout).toContain(
      `Error [IST0106] (VirtualService default/planted ${join(dir, 'planted.yaml')}:12) Schema validation error: weight must be a non-negative integer, got -5`,
    );
    expect(r.stdout).not.toContain('IST0001');
    expect(r.stderr).toMatch(
      new RegExp(
        `error: ${join(dir, 'deep.json')}:1:\\d+: document nests mappings and sequences more than 100 levels deep; refused`,
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `error: ${join(dir, 'flow.yaml')}:7:\\d+: document nests mappings and sequences more than 100 levels deep; refused`,
      ),
    );
    expect(r.code).toBe(79);
  });
});
