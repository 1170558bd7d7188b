// mesh check's "Proxy sync" group from istiod syncz answers: upstream istioctl's multi-istiod test input
// (STALE, NOT_SENT, ERROR per type) and an unreachable replica.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncChecks } from '../../../src/proxy-status/health.js';
import type { ReplicaAnswer } from '../../../src/proxy-status/status.js';
import { MeshError } from '../../../src/util/errors.js';
import { runCli } from '../../support/cli.js';

const INPUT = join(
  import.meta.dirname,
  '../../../../shared/conformance/istioctl-proxy/_reconstructed/istioctl/pkg/writer/pilot/inputs/multiXdsStatusMultiPilot.json',
);
const answers = (): ReplicaAnswer[] =>
  Object.entries(JSON.parse(readFileSync(INPUT, 'utf8'))).map(([replica, response]) => ({
    replica,
    response: response as Record<string, unknown>,
  }));

describe('mesh check: proxy sync', () => {
  it('names every proxy with an unacknowledged type (warning) or a rejected one (failure)', () => {
    const out = syncChecks(answers(), 60_000, Date.now());
    expect(out.map((r) => [r.status, r.message])).toEqual([
      ['warn', "proxy1 has not acknowledged istiod's CDS push"],
      ['warn', "proxy2 has not acknowledged istiod's CDS, EDS, ECDS push"],
      ['fail', "proxy3 rejected istiod's LDS config"],
      ['warn', "proxy3 has not acknowledged istiod's EDS push"],
    ]);
    expect(out.find((r) => r.status === 'fail')!.hint).toContain('mesh proxy-status proxy3');
  });

  it('all in sync: one line naming the replicas; a replica that cannot be asked is a warning', () => {
    const synced = answers().slice(3); // istiod4: its proxy reports no type status at all
    synced.push({ replica: 'istiod-9', error: new MeshError('istiod-9: connection refused') });
    expect(syncChecks(synced, 60_000, Date.now()).map((r) => [r.status, r.message])).toEqual([
      ['warn', 'cannot ask istiod-9: connection refused'],
      ['ok', 'all 1 proxies connected to istiod4 are in sync'],
    ]);
  });

  it("check's own flags are usage errors (exit 64) before anything connects", async () => {
    const cases: Array<[string[], string]> = [
      [['--cert-warn', 'abc'], 'Error: invalid --cert-warn "abc"'],
      // an expiry window is counted in days: a bare number (seconds elsewhere) needs a unit, as certs --warn
      [['--cert-warn', '30'], 'Error: invalid --cert-warn "30": give a unit'],
      [['--stale-after', '5x'], 'Error: invalid --stale-after "5x"'],
      [['--xds-address', 'nope'], 'Error: invalid --xds-address "nope"'],
    ];
    for (const [flags, error] of cases) {
      // a kubeconfig that does not exist: reading it would be a different error (exit 1)
      const r = await runCli(['check', ...flags, '--kubeconfig', '/nonexistent/kubeconfig']);
      expect(r.code, r.stderr).toBe(64);
      expect(r.stderr.split('\n')[0]).toBe(error);
      if (flags[1] === '30') expect(r.stderr.split('\n')[1]).toBe('Hint: for example 7d, 36h or 30m');
    }
  });
});
