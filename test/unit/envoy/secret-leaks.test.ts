/**
 * Key material where a dump should not hold it (a ROOTCA bundle that is a private key, a private_key
 * written as a plain string or list, a secret that is a PEM string, a password of the wrong type) is
 * never printed: not in tables, -o json/yaml, diffs or error messages.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCa, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-secret-leaks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ca = makeCa('cluster.local');
const KEY = ca.keyPem; // "-----BEGIN PRIVATE KEY-----…"
const KEY_BODY = KEY.split('\n')[1]!; // a line of the key's base64
const write = (name: string, dump: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(dump, null, 1));
  return file;
};

/** A dump whose `default` secret's private_key is `privateKey` (any JSON value). */
function withPrivateKey(privateKey: unknown) {
  const dump = secretsDump({ chain: ca.certPem, roots: ca.certPem });
  dump.configs[0].dynamic_active_secrets[0].secret.tls_certificate.private_key = privateKey;
  return dump;
}

const leaks = (r: { stdout: string; stderr: string }) =>
  [r.stdout, r.stderr].some(
    (t) => t.includes(KEY_BODY) || t.includes(Buffer.from(KEY).toString('base64').slice(0, 40)),
  );

describe('private keys in odd places are not printed', () => {
  it('pc rootca-compare: a ROOTCA that holds a key says so, naming the side, without quoting it', async () => {
    const keyRoots = write('key-roots.json', secretsDump({ chain: ca.certPem, roots: KEY }));
    const good = write('good.json', secretsDump({ chain: ca.certPem, roots: ca.certPem }));
    const r = await runCli(['pc', 'rootca-compare', keyRoots, good]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: ${keyRoots}: failed to parse certificates: the ROOTCA secret holds a private key (not shown), not a certificate\n`,
    );
  });

  it.each([
    ['a plain string', KEY],
    ['a list of strings', [KEY]],
    ['base64 text', Buffer.from(KEY).toString('base64')],
  ])(
    'pc secret / all -o json|yaml and pc diff: a private_key that is %s is [redacted]',
    async (_what, value) => {
      const a = write('a.json', withPrivateKey(value));
      const b = write('b.json', withPrivateKey(Array.isArray(value) ? [`${value[0]} `] : `${value} `));
      for (const args of [
        ['pc', 'secret', '-f', a, '-o', 'json'],
        ['pc', 'secret', '-f', a, '-o', 'yaml'],
        ['pc', 'all', '-f', a, '-o', 'json'],
        ['pc', 'diff', a, b],
      ]) {
        const r = await runCli(args);
        expect(leaks(r), args.join(' ')).toBe(false);
        expect(r.stdout + r.stderr, args.join(' ')).not.toContain('PRIVATE KEY');
      }
      expect((await runCli(['pc', 'secret', '-f', a, '-o', 'json'])).stdout).toContain('[redacted]');
    },
  );

  it('a wrong-type error on a secret, or on a password, names the place but not the value (exit 65)', async () => {
    const dump = secretsDump({ chain: ca.certPem, roots: ca.certPem });
    dump.configs[0].dynamic_active_secrets[0].secret = KEY;
    const pem = await runCli(['pc', 'secret', '-f', write('secret-string.json', dump)]);
    expect(pem.code).toBe(65);
    expect(pem.stderr).toMatch(
      /dynamic_active_secrets\[0\]\.secret must be an object, got "\[redacted\]\\n"\n$/,
    );
    const password = withPrivateKey({ inline_bytes: 'eA==' });
    password.configs[0].dynamic_active_secrets[0].secret.tls_certificate.password = 'hunter2-is-my-password';
    const r = await runCli(['pc', 'secret', '-f', write('password.json', password), '-o', 'json']);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});
