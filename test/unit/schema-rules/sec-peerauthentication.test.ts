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
    const msg = 'mesh/namespace peer authentication cannot have port level mTLS';
    expect(
      at(pa('spec:\n  portLevelMtls:\n    8080: {mode: DISABLE}\n'), 'spec.portLevelMtls'),
    ).toMatchObject({
      level: 'error',
      message: msg,
    });
    const issues = pa('spec:\n  selector: {matchLabels: {}}\n  portLevelMtls:\n    8080: {mode: DISABLE}\n');
    expect(at(issues, 'spec.portLevelMtls').message).toBe(msg);
    expect(at(issues, 'spec.selector').level).toBe('warning');
  });

  it('rejects an empty port-level map and ports outside 1-65535', () => {
    expect(
      at(pa('spec:\n  selector: {matchLabels: {app: a}}\n  portLevelMtls: {}\n'), 'spec.portLevelMtls')
        .message,
    ).toBe('port level mTLS, if defined, must have at least one element');
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
    expect(at(issues, 'spec.portLevelMtls.0').message).toContain('port must be in range 1..65535');
  });

  it('applies the workload selector rules', () => {
    const issue = at(pa('spec:\n  selector: {matchLabels: {app: "*"}}\n'), 'spec.selector.matchLabels.app');
    expect(issue.level).toBe('error');
    expect(issue.message).toContain('wildcard');
  });
});
