import { describe, expect, it } from 'vitest';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const pa = (spec: string) => check('PeerAuthentication', 'security.istio.io/v1', spec);

describe('PeerAuthentication semantic rules', () => {
  it('accepts mesh-wide and workload policies with port-level mTLS', () => {
    const resources = fixture('peerauthentication-valid.yaml');
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  it('rejects port-level mTLS without a workload selector (or with one that has no labels)', () => {
    const issue = at(pa('spec:\n  portLevelMtls:\n    8080: {mode: DISABLE}\n'), 'spec.portLevelMtls');
    expect(issue.level).toBe('error');
    expect(issue.message).toContain('portLevelMtls needs a selector with matchLabels');
    const issues = pa('spec:\n  selector: {matchLabels: {}}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n');
    expect(at(issues, 'spec.portLevelMtls').message).toBe(issue.message);
    expect(at(issues, 'spec.selector').level).toBe('warning');
  });

  it('rejects an empty port-level map and ports outside 1-65535', () => {
    expect(
      at(pa('spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls: {}\n'), 'spec.portLevelMtls')
        .message,
    ).toBe('portLevelMtls is empty; remove it or list at least one port');
    const issues = pa(`spec:
  selector: {matchLabels: {app: a}}
  portLevelMtls:
    0: {mode: DISABLE}
    65536: {mode: DISABLE}
    http: {mode: DISABLE}
    443: {mode: STRICT}
`);
    expect(issues.map((i) => i.path).sort()).toEqual([
      'spec.portLevelMtls.0',
      'spec.portLevelMtls.65536',
      'spec.portLevelMtls.http',
    ]);
    expect(at(issues, 'spec.portLevelMtls.0').message).toBe(
      'portLevelMtls key "0" is not a port number (1-65535)',
    );
    expect(at(issues, 'spec.portLevelMtls.http').message).toContain('"http" is not a port number');
  });

  it('applies the workload selector rules', () => {
    const issue = at(pa('spec:\n  selector: {matchLabels: {app: "*"}}\n'), 'spec.selector.matchLabels.app');
    expect(issue.level).toBe('error');
    expect(issue.message).toContain('wildcard');
  });
});
