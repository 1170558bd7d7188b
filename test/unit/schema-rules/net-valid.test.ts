import { describe, expect, it } from 'vitest';
import { fixture, issuesOf } from './net-helpers.js';

describe('realistic networking manifests pass the semantic rules', () => {
  for (const file of [
    'virtualservice-valid.yaml',
    'destinationrule-valid.yaml',
    'gateway-valid.yaml',
    'serviceentry-valid.yaml',
    'sidecar-valid.yaml',
    'workloads-valid.yaml',
  ]) {
    it(file, () => {
      const resources = fixture(file);
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(issuesOf(r), `${r.kind} ${r.name}`).toEqual([]);
    });
  }

  it('envoyfilter-valid.yaml yields only the standing EnvoyFilter warning', () => {
    const [ef] = fixture('envoyfilter-valid.yaml');
    const issues = issuesOf(ef!);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.level).toBe('warning');
    expect(issues[0]!.path).toBeUndefined();
    expect(issues[0]!.message).toContain('EnvoyFilter patches the generated Envoy configuration directly');
  });
});
