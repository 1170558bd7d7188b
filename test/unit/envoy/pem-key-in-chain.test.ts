/**
 * A private key PEM block inside a certificate chain (a `tls.crt` holding key and certificates, loaded as
 * the workload secret): Envoy redacts only `private_key`, so the dump carries the key in
 * `certificate_chain`. mesh replaces the key block by `[redacted]` wherever it prints secret material
 * (-o json|yaml of `pc secret` and `pc all`, `pc diff`), keeps the certificates, and `pc secret` and
 * `mesh certs` both read the certificates past the key block.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigDump } from '../../../src/envoy/dump.js';
import { diffDumps } from '../../../src/envoy/diff.js';
import { firstCertificate, mayHoldPrivateKey, redactPrivateKeys } from '../../../src/envoy/certs.js';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-pem-key-in-chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const root = makeCa('cluster.local');
const leaf = makeWorkloadCert(root, 'spiffe://cluster.local/ns/shop/sa/web', { fromDays: -1, toDays: 60 });
const KEY = leaf.keyPem; // -----BEGIN PRIVATE KEY----- …
const KEY_LINE = KEY.split('\n')[1]!;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
/** What the chain reads as once redacted: the key block replaced, the certificate kept. */
const REDACTED_CHAIN = `[redacted]\n${leaf.certPem}`;

const write = (name: string, dump: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(dump, null, 1));
  return file;
};
const combined = write('combined.json', secretsDump({ chain: KEY + leaf.certPem, roots: root.certPem }));
const plain = write('plain.json', secretsDump({ chain: leaf.certPem, roots: root.certPem }));

/** No trace of the key: its PEM lines, its base64 (at any of the three byte offsets), its header. */
function expectNoKey(text: string, what: string) {
  expect(text, what).not.toContain(KEY_LINE);
  expect(text, what).not.toContain('PRIVATE KEY');
  for (const prefix of ['', 'x', 'xy']) expect(text, what).not.toContain(b64(prefix + KEY).slice(8, 60));
}

describe('a private key block in certificate_chain', () => {
  it('pc secret -o json: the chain keeps its certificate, the key block reads [redacted] (exit 0)', async () => {
    const r = await runCli(['pc', 'secret', '-f', combined, '-o', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expectNoKey(r.stdout, 'pc secret -o json');
    const out = JSON.parse(r.stdout);
    const tls = out.dynamicActiveSecrets[0].secret.tlsCertificate;
    expect(unb64(tls.certificateChain.inlineBytes)).toBe(REDACTED_CHAIN);
    expect(unb64(tls.privateKey.inlineBytes)).toBe('[redacted]');
  });

  it('pc secret -o yaml, pc all -o json|yaml: the same', async () => {
    const yaml = await runCli(['pc', 'secret', '-f', combined, '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expectNoKey(yaml.stdout, 'pc secret -o yaml');
    expect(yaml.stdout).toContain(`        inlineBytes: ${b64(REDACTED_CHAIN)}\n`);

    const all = await runCli(['pc', 'all', '-f', combined, '-o', 'json']);
    expect(all.code).toBe(0);
    expectNoKey(all.stdout, 'pc all -o json');
    const dump = JSON.parse(all.stdout);
    expect(
      unb64(dump.configs[0].dynamic_active_secrets[0].secret.tls_certificate.certificate_chain.inline_bytes),
    ).toBe(REDACTED_CHAIN);

    const allYaml = await runCli(['pc', 'all', '-f', combined, '-o', 'yaml']);
    expect(allYaml.code).toBe(0);
    expectNoKey(allYaml.stdout, 'pc all -o yaml');
    expect(allYaml.stdout).toContain(`          inline_bytes: ${b64(REDACTED_CHAIN)}\n`);
  });

  it('a key as inline_string, and one after the certificates, are redacted too', async () => {
    const asString = secretsDump({ chain: leaf.certPem, roots: root.certPem });
    asString.configs[0].dynamic_active_secrets[0].secret.tls_certificate.certificate_chain = {
      inline_string: leaf.certPem + KEY,
    };
    const file = write('string.json', asString);
    for (const format of ['json', 'yaml']) {
      const r = await runCli(['pc', 'secret', '-f', file, '-o', format]);
      expect(r.code).toBe(0);
      expectNoKey(r.stdout, `inline_string -o ${format}`);
    }
    const r = await runCli(['pc', 'secret', '-f', file, '-o', 'json']);
    expect(JSON.parse(r.stdout).dynamicActiveSecrets[0].secret.tlsCertificate.certificateChain).toEqual({
      inlineString: `${leaf.certPem}[redacted]\n`,
    });
  });

  it('pc diff: the differing chain is shown redacted', async () => {
    const r = await runCli(['pc', 'diff', combined, plain]);
    expect(r.code).toBe(79);
    expectNoKey(r.stdout + r.stderr, 'pc diff');
    expect(r.stdout.split('\n')).toEqual([
      `--- ${combined}`,
      `+++ ${plain}`,
      '~ secret default (ACTIVE): 1 field differs',
      `    tlsCertificate.certificateChain.inlineBytes: "${b64(REDACTED_CHAIN).slice(0, 96)}... -> "${b64(leaf.certPem).slice(0, 96)}...`,
      '1 difference (compared 2 secrets).',
      '',
    ]);
  });

  it('pc secret and certs agree: the certificate after the key block is read (istioctl: VALID CERT false)', async () => {
    const cert = new X509Certificate(leaf.certPem);
    const rootCert = new X509Certificate(root.certPem);
    const date = (s: string) => new Date(s).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const r = await runCli(['pc', 'secret', '-f', combined]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'RESOURCE NAME     TYPE           STATUS     VALID CERT     SERIAL NUMBER                        NOT AFTER                NOT BEFORE',
        `default           Cert Chain     ACTIVE     true           000000000000000000000000000a1b2c     ${date(cert.validTo)}     ${date(cert.validFrom)}`,
        `ROOTCA            CA             ACTIVE     true           00000000000000000000000000000001     ${date(rootCert.validTo)}     ${date(rootCert.validFrom)}`,
        '',
      ].join('\n'),
    );
    const certs = await runCli(['certs', '-f', combined]);
    expect([certs.code, certs.stderr]).toEqual([0, '']);
    expectNoKey(certs.stdout, 'certs');
    const leafRow = certs.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/))
      .find((c) => c[2] === 'leaf');
    expect(leafRow).toEqual([
      combined,
      'default',
      'leaf',
      '000000000000000000000000000a1b2c',
      date(cert.validTo),
      expect.stringMatching(/^(59|60)d$/),
      'O=cluster.local',
      'spiffe://cluster.local/ns/shop/sa/web',
      'OK',
    ]);
  });
});

describe('redaction helpers', () => {
  it('replaces key blocks in text and in base64, keeps everything else (same string when no key)', () => {
    expect(redactPrivateKeys(`${KEY}${leaf.certPem}`)).toBe(REDACTED_CHAIN);
    expect(unb64(redactPrivateKeys(b64(`x${KEY}${leaf.certPem}`)))).toBe(`x${REDACTED_CHAIN}`);
    // a key cut short (no END line) is redacted to the end of the text
    expect(redactPrivateKeys(`${leaf.certPem}${KEY.slice(0, 60)}`)).toBe(`${leaf.certPem}[redacted]`);
    const cert = b64(leaf.certPem);
    expect(redactPrivateKeys(cert)).toBe(cert);
    expect(redactPrivateKeys('outbound|9080||reviews')).toBe('outbound|9080||reviews');
  });

  it('tells from the dump text alone whether it may hold a key, at any base64 offset', () => {
    for (const prefix of ['', 'x', 'xy']) expect(mayHoldPrivateKey(b64(prefix + KEY))).toBe(true);
    expect(mayHoldPrivateKey(KEY)).toBe(true);
    expect(mayHoldPrivateKey(b64(leaf.certPem))).toBe(false);
  });

  it('a dump that may hold a key is not passed through as its raw bytes', () => {
    const text = JSON.stringify(secretsDump({ chain: KEY + leaf.certPem, roots: root.certPem }));
    expect(ConfigDump.parse(text, 'a.json').raw).toBeUndefined();
    const clean = JSON.stringify(secretsDump({ chain: leaf.certPem, roots: root.certPem }));
    expect(ConfigDump.parse(clean, 'b.json').raw).toBe(clean);
  });

  it('a diff of dumps built in memory (istiod side of proxy-status) shows differing values redacted', () => {
    const withKey = new ConfigDump(secretsDump({ chain: KEY + leaf.certPem, roots: root.certPem }));
    const without = new ConfigDump(secretsDump({ chain: leaf.certPem, roots: root.certPem }));
    const d = diffDumps(withKey, without, { a: 'a', b: 'b' });
    expect(d.differences.map((r) => [r.name, r.fields])).toEqual([
      [
        'default (ACTIVE)',
        [
          {
            path: 'tlsCertificate.certificateChain.inlineBytes',
            a: b64(REDACTED_CHAIN),
            b: b64(leaf.certPem),
          },
        ],
      ],
    ]);
  });

  it('firstCertificate skips a key block before the certificate', () => {
    expect(firstCertificate(KEY + leaf.certPem)?.serial).toBe('000000000000000000000000000a1b2c');
    expect(firstCertificate(KEY)).toBeUndefined();
  });
});
