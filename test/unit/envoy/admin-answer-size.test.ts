/**
 * An admin endpoint whose answer never ends, or a small gzip answer that inflates to gigabytes: mesh reads
 * up to its limit and stops there with one error naming the endpoint, instead of exhausting memory (the
 * gzip answer ended the process with a V8 fatal error).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** gzip of `mib` MiB of spaces (a few hundred KiB). */
async function gzipOfSpaces(mib: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1 << 20, ' ');
  const parts: Buffer[] = [];
  const gzip = Readable.from(
    (function* () {
      for (let i = 0; i < mib; i++) yield chunk;
    })(),
  ).pipe(createGzip({ level: 1 }));
  for await (const p of gzip) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

const TOO_LARGE = 'the answer is larger than 511 MiB, more than mesh reads of one answer';

describe('an admin answer larger than mesh reads', () => {
  it('a gzip answer that inflates past the limit: one error naming the endpoint, exit 1', async () => {
    const bomb = await gzipOfSpaces(600);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const r = await runCli(['pc', 'cluster', '--admin-url', url]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `Error: Envoy admin ${url}: /config_dump: ${TOO_LARGE}\n`,
    ]);
  }, 60_000);

  it('an answer that never ends: stopped at the limit, not at the timeout, exit 1', async () => {
    const chunk = Buffer.alloc(1 << 20, ' ');
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = () => {
        while (res.write(chunk));
      };
      res.on('drain', more);
      res.on('error', () => {});
      more();
    });
    const r = await runCli(['pc', 'cluster', '--admin-url', url, '--timeout', '5m']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `Error: Envoy admin ${url}: /config_dump: ${TOO_LARGE}\n`,
    ]);
  }, 120_000);
});
