/**
 * A repository whose objects each conflict with every other one gives findings by the square of their
 * number (istioctl reports them all, and so does mesh). Their memory decides whether the run ends at all:
 * 2,000 Gateways sharing one certificate are 4 million IST0138, which ran V8 out of heap (exit 134). Here
 * a smaller such input runs in a heap limited to what it needs (written to a file it took 160 MB before and fits 48 MB).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the benchmarks
import { sharedCertGateways } from '../../../bench/lib/shared-cert-gateways.mjs';
import { ROOT } from './helpers.js';

const GATEWAYS = 300;

describe('many findings', () => {
  it('300 Gateways sharing a certificate: every pair reported, in a 72 MB heap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-many-findings-'));
    const file = join(dir, 'gateways.yaml');
    writeFileSync(file, sharedCertGateways(GATEWAYS));
    // written to a file, as CI keeps a report (`> report.json`): the case that took the most memory
    const report = join(dir, 'report.json');
    const fd = openSync(report, 'w');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/mesh.js'), 'analyze', file, '-o', 'json'], {
      stdio: ['ignore', fd, 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=72' },
    });
    closeSync(fd);
    expect([r.status, r.stderr]).toEqual([0, '']);
    const findings = (
      JSON.parse(readFileSync(report, 'utf8')) as { findings: Array<Record<string, unknown>> }
    ).findings;
    const pairs = findings.filter((f) => f.code === 'IST0138');
    expect(pairs).toHaveLength(GATEWAYS * (GATEWAYS - 1));
    expect(pairs[0]).toEqual({
      code: 'IST0138',
      level: 'Warning',
      origin: 'Gateway edge/gw-0',
      message:
        // sorted by message text, as istioctl sorts them
        'Duplicate certificate in multiple gateways [edge/gw-0 edge/gw-100] may cause 404s if clients re-use HTTP2 connections.',
      analyzer: 'gateway.CertificateAnalyzer',
      documentationUrl: 'https://github.com/mesh-cli/mesh/blob/main/docs/codes/ist0138.md',
      kind: 'Gateway',
      namespace: 'edge',
      name: 'gw-0',
      file,
      line: 12,
      column: 25,
      path: 'spec.servers[0].tls.credentialName',
    });
  });
});
