/**
 * Proxies without a usable workload certificate or without trusted roots are findings of `mesh certs`
 * (a MISSING or INVALID row with the reason, exit 79, in -o json too), never left out in silence; a
 * certificate with a negative serial number is an INVALID row rather than a crash. `pc secret` refuses
 * the shapes istioctl refuses (an entry without its secret, fields of the wrong type: exit 65, located)
 * and prints the table istioctl prints for the rest.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-unusable-certs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump';
const root = makeCa('cluster.local');
const leaf = makeWorkloadCert(root, 'spiffe://cluster.local/ns/shop/sa/web', { fromDays: -1, toDays: 60 });

/** The certificate with serial 0x80 rewritten as the negative -128 (DER `02 01 80`), as a broken CA may issue. */
function negativeSerial(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  const at = der.indexOf(Buffer.from([0x02, 0x02, 0x00, 0x80]));
  // both enclosing SEQUENCEs (certificate, TBSCertificate) have two-byte lengths: one byte shorter each
  expect([at, der[1], der[5]]).toEqual([13, 0x82, 0x82]);
  const out = Buffer.concat([der.subarray(0, at), Buffer.from([0x02, 0x01, 0x80]), der.subarray(at + 4)]);
  out.writeUInt16BE(der.readUInt16BE(2) - 1, 2);
  out.writeUInt16BE(der.readUInt16BE(6) - 1, 6);
  const lines = out
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}
const negLeaf = negativeSerial(
  makeWorkloadCert(root, 'spiffe://cluster.local/ns/shop/sa/neg', { fromDays: -1, toDays: 5 }, '80').certPem,
);

const write = (name: string, dump: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(dump, null, 1));
  return file;
};
const good = () => secretsDump({ chain: leaf.certPem, roots: root.certPem });
/** The good dump with its `default` secret changed by `edit`. */
const withDefault = (edit: (secret: any) => void) => {
  const d = good();
  edit(d.configs[0].dynamic_active_secrets[0].secret);
  return d;
};

const files = {
  empty: write('empty.json', { configs: [{ '@type': SECRETS }] }),
  warming: write(
    'warming.json',
    (() => {
      const d: any = good();
      d.configs[0].dynamic_warming_secrets = d.configs[0].dynamic_active_secrets;
      delete d.configs[0].dynamic_active_secrets;
      return d;
    })(),
  ),
  noSecret: write('no-secret.json', {
    configs: [{ '@type': SECRETS, dynamic_active_secrets: [{ name: 'default' }] }],
  }),
  filename: write(
    'filename.json',
    withDefault(
      (s) => (s.tls_certificate = { certificate_chain: { filename: '/etc/certs/cert-chain.pem' } }),
    ),
  ),
  tlsString: write(
    'tls-string.json',
    withDefault((s) => (s.tls_certificate = 'cert')),
  ),
  bytesList: write(
    'bytes-list.json',
    withDefault((s) => (s.tls_certificate.certificate_chain = { inline_bytes: ['eA=='] })),
  ),
  noRoot: write(
    'no-root.json',
    (() => {
      const d = good();
      d.configs[0].dynamic_active_secrets.pop();
      return d;
    })(),
  ),
  negative: write('negative.json', secretsDump({ chain: negLeaf + root.certPem, roots: root.certPem })),
};

const cells = (line: string) => line.trim().split(/\s{2,}/);
const problem = (file: string, secret: string, kind: string, status: string) => [
  file,
  secret,
  kind,
  '-',
  '-',
  '-',
  '-',
  '-',
  status,
];

describe('mesh certs: a proxy without a usable workload certificate or roots', () => {
  it('gets MISSING / INVALID rows with the reason, soonest first, and exit 79', async () => {
    const r = await runCli(['certs', ...Object.values(files).flatMap((f) => ['-f', f])]);
    expect(r.code).toBe(79);
    const rows = r.stdout.split('\n\n')[0]!.split('\n').slice(1).map(cells);
    const problems = rows.filter((c) => /^(MISSING|INVALID)/.test(c[8]!));
    expect(problems).toEqual([
      problem(files.empty, 'default', 'leaf', 'MISSING: no active secret with a workload certificate'),
      problem(files.empty, 'ROOTCA', 'root', 'MISSING: no active secret with a trusted root'),
      problem(files.warming, 'default', 'leaf', 'MISSING: secret default is still warming (not in use)'),
      problem(files.warming, 'ROOTCA', 'root', 'MISSING: secret ROOTCA is still warming (not in use)'),
      problem(files.noSecret, 'default', 'leaf', 'MISSING: the active entry default has no secret'),
      problem(files.noSecret, 'ROOTCA', 'root', 'MISSING: no active secret with a trusted root'),
      problem(
        files.filename,
        'default',
        'leaf',
        'INVALID: read from the file /etc/certs/cert-chain.pem on the proxy, not in the dump',
      ),
      problem(files.tlsString, 'default', 'leaf', 'INVALID: tls_certificate must be an object'),
      problem(
        files.bytesList,
        'default',
        'leaf',
        'INVALID: tls_certificate.certificate_chain.inline_bytes must be a string',
      ),
      problem(files.noRoot, 'ROOTCA', 'root', 'MISSING: no active secret with a trusted root'),
      problem(
        files.negative,
        'default',
        'leaf',
        'INVALID: negative serial number -80 (refused, as Go and istioctl refuse it)',
      ),
    ]);
    // the negative serial drops no other certificate of its proxy
    expect(rows.filter((c) => c[0] === files.negative).map((c) => [c[2], c[8]])).toEqual([
      ['leaf', expect.stringMatching(/^INVALID/)],
      ['chain', 'OK'],
    ]);
    expect(r.stderr).toBe(
      'Found 0 expired and 0 expiring (within 7d) certificate(s), 4 invalid, 7 missing.\n',
    );
  });

  it('-o json carries the same facts with their status and reason', async () => {
    const r = await runCli(['certs', '-f', files.noSecret, '-f', files.negative, '-o', 'json']);
    expect(r.code).toBe(79);
    const report = JSON.parse(r.stdout);
    const facts = (i: number) =>
      report.proxies[i].certificates.map((c: any) => [c.secret, c.kind, c.status, c.reason]);
    expect(facts(0)).toEqual([
      ['default', 'leaf', 'MISSING', 'the active entry default has no secret'],
      ['ROOTCA', 'root', 'MISSING', 'no active secret with a trusted root'],
    ]);
    expect(facts(1)).toEqual([
      ['default', 'leaf', 'INVALID', 'negative serial number -80 (refused, as Go and istioctl refuse it)'],
      ['default', 'chain', 'OK', undefined],
      ['ROOTCA', 'root', 'OK', undefined],
    ]);
    expect(report.summary).toMatchObject({ invalid: 1, missing: 2, exitCode: 79 });
  });

  it('a proxy with only its roots missing is a finding too (exit 79)', async () => {
    const r = await runCli(['certs', '-f', files.noRoot]);
    expect(r.code).toBe(79);
    expect(r.stderr).toBe('Found 0 expired and 0 expiring (within 7d) certificate(s), 1 missing.\n');
  });
});

describe('pc secret on the same shapes (as istioctl)', () => {
  it('refuses an entry without its secret and fields of the wrong type, naming where (exit 65)', async () => {
    const errors: Array<[string, string]> = [
      [
        files.noSecret,
        `${files.noSecret}: line 6 column 5: SecretsConfigDump: dynamic_active_secrets[0] has no secret`,
      ],
      [
        files.tlsString,
        `${files.tlsString}: line 13 column 26: SecretsConfigDump: dynamic_active_secrets[0].secret.tls_certificate must be an object, got "cert"`,
      ],
      [
        files.bytesList,
        `${files.bytesList}: line 15 column 25: SecretsConfigDump: dynamic_active_secrets[0].secret.tls_certificate.certificate_chain.inline_bytes must be a string, got ["eA=="]`,
      ],
    ];
    for (const [file, error] of errors) {
      const r = await runCli(['pc', 'secret', '-f', file]);
      expect([r.code, r.stdout, r.stderr], file).toEqual([65, '', `Error: ${error}\n`]);
    }
  });

  it('prints the row istioctl prints for a chain given as a file and for a negative serial (exit 0)', async () => {
    const file = await runCli(['pc', 'secret', '-f', files.filename]);
    expect([file.code, file.stderr]).toEqual([0, '']);
    const rootCert = new X509Certificate(root.certPem);
    const date = (s: string) => new Date(s).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const rootRow = `ROOTCA            CA       ACTIVE     true           00000000000000000000000000000001     ${date(rootCert.validTo)}     ${date(rootCert.validFrom)}`;
    expect(file.stdout).toBe(
      [
        'RESOURCE NAME     TYPE     STATUS     VALID CERT     SERIAL NUMBER                        NOT AFTER                NOT BEFORE',
        'default                    ACTIVE     false                                                                        ',
        rootRow,
        '',
      ].join('\n'),
    );
    const neg = await runCli(['pc', 'secret', '-f', files.negative]);
    expect([neg.code, neg.stderr, neg.stdout]).toEqual([0, '', file.stdout]);
  });

  it('says there is nothing for a dump without secrets (exit 0, as istioctl)', async () => {
    const r = await runCli(['pc', 'secret', '-f', files.empty]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'No active or warming secrets found.\n', '']);
  });
});
