/**
 * `mesh certs -o json|yaml` over gateways that each hold thousands of TLS certificates (a credentialName
 * per tenant): 50 replicas holding 10,000 each are 1 million certificates, 580 MB of JSON, more than a
 * JavaScript string holds ('Error: Invalid string length', exit 1, before it was written in pieces). Here
 * the same at a size a test can run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, writesOf } from '../../support/cli.js';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';

const PROXIES = 20;
const TENANTS = 150;

describe('certs of many gateways holding many certificates', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('-o json and -o yaml print every certificate, in pieces', async () => {
    const root = makeCa('cluster.local', { fromDays: -30, toDays: 3650 }, '0c');
    const leaf = makeWorkloadCert(root, 'spiffe://cluster.local/ns/edge/sa/gateway', {
      fromDays: -1,
      toDays: 60,
    });
    const dump = secretsDump({ chain: leaf.certPem, roots: root.certPem });
    const secrets = dump.configs[0].dynamic_active_secrets;
    for (let i = 0; i < TENANTS; i++) {
      const s = structuredClone(secrets[0]);
      s.name = s.secret.name = `kubernetes://tenant-${i}-credential`;
      secrets.push(s);
    }
    // a dump per replica (a file named twice is one proxy)
    const dir = mkdtempSync(join(tmpdir(), 'mesh-many-certs-'));
    const files = Array.from({ length: PROXIES }, (_, i) => join(dir, `gateway-${i}.json`));
    for (const file of files) writeFileSync(file, JSON.stringify(dump, null, 1));
    // one time for both runs: the same seconds until expiry
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date());
    const args = ['certs', ...files.flatMap((file) => ['-f', file])];

    const json = await runCli([...args, '-o', 'json']);
    expect([json.code, json.stderr]).toEqual([0, '']);
    const report = JSON.parse(json.stdout);
    expect(report.proxies).toHaveLength(PROXIES);
    // the workload certificate, each tenant's, the root
    for (const p of report.proxies) expect(p.certificates).toHaveLength(TENANTS + 2);
    expect(report.summary).toMatchObject({ proxies: PROXIES, failed: 0, rootsDiffer: false, exitCode: 0 });
    expect(json.stdout).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(writesOf(json)).toBeGreaterThan(1);

    const yaml = await runCli([...args, '-o', 'yaml']);
    expect([yaml.code, yaml.stderr]).toEqual([0, '']);
    const { parse, stringify } = await import('yaml');
    const read = parse(yaml.stdout);
    expect(read.proxies).toHaveLength(PROXIES);
    expect(read.proxies.map((p: any) => p.certificates)).toEqual(
      report.proxies.map((p: any) => p.certificates),
    );
    // as the yaml library printed the report when it was one string
    expect(yaml.stdout).toBe(stringify(read, { lineWidth: 0, aliasDuplicateObjects: false }));
    expect(writesOf(yaml)).toBeGreaterThan(1);
  });
});
