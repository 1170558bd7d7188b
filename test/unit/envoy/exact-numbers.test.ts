/**
 * Numbers a JavaScript number cannot hold as written (`1e400`, 2^64-1 = 18446744073709551615, `1e-400`,
 * `-0`) in a saved config dump (istioctl's sidecar dump with such numbers written in): `-o json|yaml`
 * print them as the dump has them (JSON.parse made `1e400` null and rounded 2^64-1), also after a trip
 * through a YAML dump, and the tables refuse a port no uint32 holds, naming the file, line and field,
 * rather than showing another number.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = readFileSync(join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json'), 'utf8');
const HTTPBIN = 'inbound-vip|8000|http|httpbin.default.svc.cluster.local';

const dir = mkdtempSync(join(tmpdir(), 'mesh-exact-numbers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** Struct values of the httpbin cluster's `istio` metadata, as written into the dump (sorted before `services`). */
const WRITTEN = [
  ['a_uint64_max', '18446744073709551615'],
  ['b_huge', '1e400'],
  ['c_tiny', '1e-400'],
  ['d_negative_zero', '-0'],
  ['e_exact', '1e-05'],
] as const;
const withNumbers = SIDECAR.replace(
  '"services": [',
  `${WRITTEN.map(([k, v]) => `"${k}": ${v}, `).join('')}"services": [`,
);
const ORIGINAL = file('original.json', SIDECAR);
const NUMBERS = file('numbers.json', withNumbers);

/** `text` with `lines` inserted before the line holding `before`, at its indentation. */
function insertBefore(text: string, before: string, lines: string[]): string {
  return text.replace(
    new RegExp(`( *)${before.replace(/[[\]]/g, '\\$&')}`),
    (m, indent: string) => lines.map((l) => `${indent}${l}\n`).join('') + m,
  );
}

describe('proxy-config -o json|yaml: numbers as the dump writes them', () => {
  it('-o json and -o yaml of the cluster (1e400 was null, 2^64-1 was 18446744073709552000)', async () => {
    const args = ['pc', 'cluster', '--fqdn', 'httpbin.default.svc.cluster.local'];
    for (const [format, before, line] of [
      [
        'json',
        '"services": [',
        ([k, v]: readonly [string, string]) => `"${k}": ${v === '1e-05' ? '0.00001' : v},`,
      ],
      ['yaml', 'services:', ([k, v]: readonly [string, string]) => `${k}: ${v}`],
    ] as const) {
      const plain = await runCli([...args, '-f', ORIGINAL, '-o', format]);
      const r = await runCli([...args, '-f', NUMBERS, '-o', format]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout, format).toBe(insertBefore(plain.stdout, before, WRITTEN.map(line)));
    }
  });

  /** The lines -o json prints for WRITTEN at `indent`. */
  const jsonLines = (indent: string) =>
    WRITTEN.map(([k, v]) => `${indent}"${k}": ${v === '1e-05' ? '0.00001' : v},\n`).join('');

  it('pc all -o yaml, read back as a YAML dump, prints them as the JSON dump has them', async () => {
    const yaml = await runCli(['pc', 'all', '-f', NUMBERS, '-o', 'yaml']);
    expect(yaml.stdout).toContain(
      WRITTEN.map(([k, v]) => `            ${k}: ${v}\n`).join('') + '            services:\n',
    );
    const back = await runCli([
      'pc',
      'cluster',
      '--fqdn',
      'httpbin',
      '-o',
      'json',
      '-f',
      file('numbers.yaml', yaml.stdout),
    ]);
    expect([back.code, back.stderr]).toEqual([0, '']);
    expect(back.stdout).toContain(jsonLines(' '.repeat(20)));
  });

  it('pc all -o json written anew (a credential redacted) keeps them too', async () => {
    const token = withNumbers.replace('"services": [', '"access_token": "s3cret", "services": [');
    const r = await runCli(['pc', 'all', '-f', file('token.json', token), '-o', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(jsonLines(' '.repeat(9)) + '         "access_token": "[redacted]",\n');
  });
});

describe('proxy-config tables: a port no uint32 holds', () => {
  it('is an error naming the file, line, field and the number as written (was shown rounded), exit 65', async () => {
    for (const port of ['18446744073709551615', '1e400']) {
      const dump = file(`port-${port}.json`, SIDECAR.replace('"port_value": 15021', `"port_value": ${port}`));
      const r = await runCli(['pc', 'listener', '-f', dump]);
      expect(r, port).toEqual({
        code: 65,
        stdout: '',
        stderr:
          `Error: ${dump}: line 224 column 31: ListenersConfigDump: ` +
          `static_listeners[0].listener.address.socket_address.port_value must be an integer in 0..4294967295, got ${port}\n`,
      });
    }
  });

  it('the cluster table of the dump with such numbers in metadata is unchanged', async () => {
    const args = ['pc', 'cluster', '--fqdn', HTTPBIN.split('|')[3]!];
    expect(await runCli([...args, '-f', NUMBERS])).toEqual(await runCli([...args, '-f', ORIGINAL]));
  });
});
