// Errors about a flag's input file name what is wrong and where, and never echo the file's content: a
// baseline's JSON.parse message quoted the text around the error (a secret, raw bytes, a line break), an
// --external-file line was printed whole, binary bytes included.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-quoted-'));
const manifest = join(dir, 'ns.yaml');
writeFileSync(manifest, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n');

describe('input files of flags', () => {
  it('--baseline that is not JSON: the line and the kind of error, no text of the file', async () => {
    const baseline = join(dir, 'baseline.json');
    writeFileSync(baseline, '{\n  "version": 1,\n  "password": SuperSecretPassw0rd\n}\n');
    const r = await runCli(['analyze', manifest, '--baseline', baseline]);
    expect(r.code).toBe(64);
    expect(r.stderr).toBe(
      `Error: cannot read baseline ${baseline}: line 3: JSON syntax error: unexpected character\n`,
    );
  });

  it('--external-file with a binary line: at most 80 characters of it, escaped', async () => {
    const list = join(dir, 'external.txt');
    writeFileSync(list, Buffer.concat([Buffer.from('Service shop/a\n'), Buffer.alloc(300, 0x1b)]));
    const r = await runCli(['analyze', manifest, '--external-file', list]);
    expect(r.code).toBe(64);
    const first = r.stderr.split('\n')[0]!;
    expect(first).toBe(`Error: ${list}:2: invalid external object "${'\\u001b'.repeat(80)}…"`);
    expect(r.stderr).not.toContain('\u001b');
  });
});

describe('mesh help', () => {
  // `mesh help nope` printed the general help and exited 0, as if nope were a command
  it('an unknown command is a usage error; a known one (or an alias) prints its help', async () => {
    expect(await runCli(['help', 'nope'])).toEqual({
      code: 64,
      stdout: '',
      stderr: "Error: unknown command 'nope'\nHint: run with --help for usage\n",
    });
    for (const topic of ['analyze', 'pc']) {
      const r = await runCli(['help', topic]);
      expect(r.code, topic).toBe(0);
      expect(r.stdout, topic).toMatch(/^Usage: mesh (analyze|proxy-config)/);
    }
  });
});
