/**
 * Two roots alike in subject and serial but not in key (a CA re-created) are told apart in the root-set
 * table by their SHA-256 fingerprint; a certificate whose notBefore is after its notAfter is INVALID (valid
 * at no time), not NOT YET VALID with a negative EXPIRES IN.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-root-identity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, dump: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(dump, null, 1));
  return file;
};
const cells = (line: string) => line.trim().split(/\s{2,}/);
const short = (pem: string) => new X509Certificate(pem).fingerprint256.split(':').slice(0, 8).join(':');
const rfc3339 = (d: string) => new Date(d).toISOString().replace(/\.\d+Z$/, 'Z');

describe('mesh certs: roots and validity periods', () => {
  it('shows the fingerprint of roots with the same subject and serial but another key', async () => {
    const rootA = makeCa('cluster.local', { fromDays: -1, toDays: 3650 }, '0a');
    const rootB = makeCa('cluster.local', { fromDays: -1, toDays: 3650 }, '0a');
    const leafA = makeWorkloadCert(rootA, 'spiffe://cluster.local/ns/a/sa/b', { fromDays: -1, toDays: 60 });
    const leafB = makeWorkloadCert(rootB, 'spiffe://cluster.local/ns/a/sa/c', { fromDays: -1, toDays: 60 });
    const a = write('a.json', secretsDump({ chain: leafA.certPem, roots: rootA.certPem }));
    const b = write('b.json', secretsDump({ chain: leafB.certPem, roots: rootB.certPem }));
    const r = await runCli(['certs', '-f', a, '-f', b]);
    expect(r.code).toBe(79);
    const lines = r.stdout.trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('ROOT SET'));
    expect(cells(lines[at]!)).toEqual([
      'ROOT SET',
      'PROXIES',
      'SUBJECT',
      'SERIAL',
      'SHA-256',
      'NOT AFTER',
      'EXPIRES IN',
      'TRUST DOMAIN',
      'STATUS',
    ]);
    const rows = lines.slice(at + 1).map((l) => cells(l).slice(0, 5));
    const serial = '0'.repeat(30) + '0a';
    expect(rows).toEqual([
      ['1/2', '1', 'O=cluster.local', serial, short(rootA.certPem)],
      ['2/2', '1', 'O=cluster.local', serial, short(rootB.certPem)],
    ]);
    expect(short(rootA.certPem)).not.toBe(short(rootB.certPem));
  });

  it('a certificate whose notBefore is after its notAfter is INVALID with the reason, exit 79', async () => {
    const root = makeCa('cluster.local');
    const inverted = makeWorkloadCert(root, 'spiffe://cluster.local/ns/a/sa/b', {
      fromDays: 10,
      toDays: -10,
    });
    const x = new X509Certificate(inverted.certPem);
    const f = write('inverted.json', secretsDump({ chain: inverted.certPem, roots: root.certPem }));
    const r = await runCli(['certs', '-f', f]);
    expect(r.code).toBe(79);
    const leaf = cells(r.stdout.split('\n')[1]!);
    expect(leaf).toEqual([
      f,
      'default',
      'leaf',
      '0'.repeat(26) + '0a1b2c',
      rfc3339(x.validTo),
      '-',
      'O=cluster.local',
      'spiffe://cluster.local/ns/a/sa/b',
      `INVALID: notBefore ${rfc3339(x.validFrom)} is after notAfter ${rfc3339(x.validTo)}: valid at no time`,
    ]);
    const json = await runCli(['certs', '-f', f, '-o', 'json']);
    const cert = JSON.parse(json.stdout).proxies[0].certificates[0];
    expect([json.code, cert.status, cert.reason]).toEqual([
      79,
      'INVALID',
      `notBefore ${rfc3339(x.validFrom)} is after notAfter ${rfc3339(x.validTo)}: valid at no time`,
    ]);
  });
});
