import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fieldDiff } from '../../../src/install/diff.js';
import { formatPlan } from '../../../src/install/plan-format.js';
import { guardContext, protectedContexts } from '../../../src/kube/guard.js';

describe('fieldDiff', () => {
  it('lists changed leaves by path and ignores what every write changes', () => {
    const live = {
      metadata: { name: 'x', resourceVersion: '1', managedFields: [{ manager: 'a' }], labels: { a: '1' } },
      spec: { containers: [{ name: 'c', image: 'i:1', env: [{ name: 'A', value: '1' }] }] },
      status: { ready: 1 },
    };
    const after = {
      metadata: { name: 'x', resourceVersion: '2', managedFields: [], labels: { a: '1', 'b.io/x': '2' } },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'i:2',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
          },
        ],
      },
      status: { ready: 0 },
    };
    expect(fieldDiff(live, after)).toEqual([
      { path: 'metadata.labels."b.io/x"', from: undefined, to: '2' },
      { path: 'spec.containers[name:c].env[name:B]', from: undefined, to: { name: 'B', value: '2' } },
      { path: 'spec.containers[name:c].image', from: 'i:1', to: 'i:2' },
    ]);
    expect(fieldDiff(live, structuredClone(live))).toEqual([]);
    expect(fieldDiff({ args: ['a', 'b'] }, { args: ['a', 'c', 'd'] })).toEqual([
      { path: 'args[1]', from: 'b', to: 'c' },
      { path: 'args[2]', from: undefined, to: 'd' },
    ]);
    expect(fieldDiff({ l: [{ name: 'x' }, { name: 'y' }] }, { l: [{ name: 'y' }, { name: 'x' }] })).toEqual([
      { path: 'l (order)', from: ['x', 'y'], to: ['y', 'x'] },
    ]);
  });
});

describe('formatPlan', () => {
  it('a long string that changes further in (a ConfigMap key) shows where it changes, not its unchanged start', () => {
    // Before: both sides were their first 120 characters, the same, so the line showed no change:
    // `data.config: "policy: enabled\nalwaysInjectSelector: []\n… → "policy: enabled\nalwaysInjectSelector: []\n…`
    const config = (level: string) =>
      `policy: enabled\nalwaysInjectSelector: []\nneverInjectSelector: []\ninjectedAnnotations: {}\n${'x: 1\n'.repeat(40)}args:\n  - --proxyLogLevel=${level}\n  - --proxyComponentLogLevel=misc:error\n${'y: 2\n'.repeat(40)}`;
    const text = formatPlan({
      entries: [
        {
          ref: 'ConfigMap/istio-system/istio-sidecar-injector',
          action: 'change',
          changes: [
            { path: 'data.config', from: config('warning'), to: config('debug') },
            { path: 'data.short', from: 'a', to: 'b' },
            { path: 'data.list', from: undefined, to: ['z'.repeat(200)] },
          ],
        },
      ],
    });
    expect(text.split('\n')).toEqual([
      '~ ConfigMap/istio-system/istio-sidecar-injector',
      '    data.config: …": 1\\nargs:\\n  - --proxyLogLevel=warning\\n  - --proxyComponentLogLevel"… → …": 1\\nargs:\\n  - --proxyLogLevel=debug\\n  - --proxyComponentLogLevel"…',
      '    data.short: "a" → "b"',
      `    data.list: (none) → ${`["${'z'.repeat(200)}"]`.slice(0, 120)}…`,
      'Plan: 0 to create, 1 to change, 0 to prune, 0 unchanged.',
    ]);
  });

  it('shows creates, changes with fields, prunes and conflicts, and counts', () => {
    const text = formatPlan({
      entries: [
        { ref: 'ConfigMap/ns/a', action: 'create' },
        { ref: 'Deployment/ns/d', action: 'change', changes: [{ path: 'spec.replicas', from: 1, to: 2 }] },
        { ref: 'Service/ns/s', action: 'unchanged' },
        { ref: 'ConfigMap/ns/istio', action: 'conflict', message: 'conflict with "x": .data.mesh' },
        { ref: 'Service/ns/old', action: 'prune' },
      ],
    });
    expect(text.split('\n')).toEqual([
      '+ ConfigMap/ns/a',
      '~ Deployment/ns/d',
      '    spec.replicas: 1 → 2',
      '! ConfigMap/ns/istio: conflict: conflict with "x": .data.mesh',
      '- Service/ns/old',
      'Plan: 1 to create, 1 to change, 1 to prune, 1 unchanged, 1 in conflict.',
    ]);
  });
});

describe('protected contexts', () => {
  afterEach(() => vi.unstubAllEnvs());
  it('come from MESH_PROTECTED_CONTEXTS and the mesh config file; unnamed use is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-guard-'));
    writeFileSync(join(dir, 'config.yaml'), 'protectedContexts: [prod]\n');
    vi.stubEnv('MESH_CONFIG', join(dir, 'config.yaml'));
    vi.stubEnv('MESH_PROTECTED_CONTEXTS', 'staging, prod-us');
    expect(protectedContexts().sort()).toEqual(['prod', 'prod-us', 'staging']);
    await expect(guardContext('prod', false, 'install', undefined)).rejects.toThrow(
      'context "prod" is protected',
    );
    await expect(guardContext('prod', true, 'install', undefined)).resolves.toBeUndefined();
    await expect(guardContext('prod', true, 'install', async () => 'prd')).rejects.toThrow('aborted');
    await expect(guardContext('dev', false, 'install', undefined)).resolves.toBeUndefined();
    writeFileSync(join(dir, 'config.yaml'), 'protectedContexts: prod\n');
    expect(() => protectedContexts()).toThrow('protectedContexts must be a list');
  });

  it('a mesh config file that does not parse is one line naming the file, line and column (exit 65)', () => {
    // Before: 'cfg.yaml: Flow sequence … end with a ] at line 2, column 1:', the parser's line cut before
    // its excerpt, ending in ':'
    const dir = mkdtempSync(join(tmpdir(), 'mesh-guard-'));
    const file = join(dir, 'cfg.yaml');
    writeFileSync(file, 'protectedContexts: [prod\n');
    vi.stubEnv('MESH_CONFIG', file);
    let err: any;
    try {
      protectedContexts();
    } catch (e) {
      err = e;
    }
    expect(err?.message).toBe(
      `${file}:2: Flow sequence in block collection must be sufficiently indented and end with a ] at column 1`,
    );
    expect(err?.exitCode).toBe(65);
  });
});
