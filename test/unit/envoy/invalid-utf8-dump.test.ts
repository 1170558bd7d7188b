/**
 * A config dump with bytes that are not UTF-8 is refused (exit 65), as istioctl refuses it (`proto: syntax
 * error (line 8:22): invalid UTF-8 in string`), in one line naming the input, the line and the column,
 * by every command that reads dumps: read as U+FFFD, a name holding such a byte would match nothing.
 */
import http from 'node:http';
import type net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidUtf8At, invalidUtf8Offset } from '../../../src/util/input.js';
import { makeCa, secretsDump } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-invalid-utf8-'));
const root = makeCa('cluster.local');
const text = JSON.stringify(secretsDump({ chain: root.certPem, roots: root.certPem }), null, 1);
// line 8 is ` "version_info": "2026-01-01T00:00:00Z",` (one-space indent): 0xFF after its opening quote (column 22)
const bytes = Buffer.from(text.replace('"version_info": "', '"version_info": "\u0000'));
bytes[bytes.indexOf(0)] = 0xff;
const bad = join(dir, 'bad.json');
writeFileSync(bad, bytes);
const good = join(dir, 'good.json');
writeFileSync(good, text);
const UNMARSHAL = 'error unmarshalling config dump response from Envoy';

let server: http.Server;
let adminUrl: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  adminUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a dump that is not UTF-8', () => {
  it('pc secret, cluster, all, diff, rootca-compare --file: one line naming file, line and column (exit 65)', async () => {
    const at = `${bad}: line 8 column 23: invalid UTF-8 (byte 0xff)`;
    for (const args of [
      ['pc', 'secret', '-f', bad],
      ['pc', 'secret', '-f', bad, '-o', 'json'],
      ['pc', 'cluster', '-f', bad],
      ['pc', 'all', '-f', bad, '-o', 'json'],
      ['pc', 'diff', bad, good],
      ['pc', 'rootca-compare', good, bad],
    ]) {
      const r = await runCli(args);
      expect([r.code, r.stdout, r.stderr], args.join(' ')).toEqual([65, '', `Error: ${UNMARSHAL}: ${at}\n`]);
    }
  });

  it('authz check -f and drift -f refuse it too (ps <pod> -f: proxy-diff.test.ts) (they accepted it, exit 0)', async () => {
    const at = `${bad}: line 8 column 23: invalid UTF-8 (byte 0xff)`;
    const check = await runCli(['authz', 'check', '-f', bad]);
    expect([check.code, check.stderr]).toEqual([65, `Error: ${UNMARSHAL}: ${at}\n`]);
    const drift = await runCli(['drift', '-f', `a.default=${bad}`, '-f', `b.default=${good}`]);
    expect(drift.stderr).toContain(`${UNMARSHAL}: ${at}`);
    expect(drift.code).not.toBe(0);
  });

  it('mesh certs -f: an ERROR row naming the file, line and column', async () => {
    const r = await runCli(['certs', '-f', bad, '-o', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).proxies[0].error).toBe(
      `${UNMARSHAL}: ${bad}: line 8 column 23: invalid UTF-8 (byte 0xff)`,
    );
  });

  it('an Envoy admin answer that is not UTF-8 is refused the same way', async () => {
    const r = await runCli(['pc', 'secret', '--admin-url', adminUrl]);
    expect([r.code, r.stderr]).toEqual([
      65,
      `Error: Envoy admin ${adminUrl}: /config_dump: line 8 column 23: invalid UTF-8 (byte 0xff)\n`,
    ]);
    const certs = await runCli(['certs', '--admin-url', adminUrl, '-o', 'json']);
    expect(JSON.parse(certs.stdout).proxies[0].error).toBe(
      `Envoy admin ${adminUrl}: /config_dump: line 8 column 23: invalid UTF-8 (byte 0xff)`,
    );
  });

  it('U+FFFD written as UTF-8 is text like any other (exit 0)', async () => {
    const file = join(dir, 'replacement.json');
    writeFileSync(file, text.replace('"version_info": "', '"version_info": "\uFFFD'));
    const r = await runCli(['pc', 'secret', '-f', file, '-o', 'json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('"versionInfo": "\uFFFD2026');
  });

  it('finds the first bad sequence: stray continuation, truncated, overlong, surrogate', () => {
    expect(invalidUtf8Offset(Buffer.from('plain é €'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0x80]))).toBe(1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(invalidUtf8Offset(Buffer.from([0xc0, 0xaf]))).toBe(0);
    expect(invalidUtf8Offset(Buffer.from([0x62, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(invalidUtf8At(Buffer.from([0x7b, 0x0a, 0x20, 0xe9, 0x0a]))).toBe(
      'line 2 column 2: invalid UTF-8 (byte 0xe9)',
    );
  });
});
