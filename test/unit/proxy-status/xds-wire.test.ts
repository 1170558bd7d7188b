/**
 * Servers at an xDS address that are not xDS servers, or send what no xDS server sends: an HTTP/1.1 server
 * (istiod's monitoring port), an HTTP/2 server answering a web page, a gRPC answer announcing 4 GiB. Each
 * is one error naming the address with istiod's xDS ports, exit 1, at once and without reading gigabytes.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const PORTS = 'is it an xDS port? istiod serves xDS on 15010 (plaintext) and 15012 (TLS)';
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function listen(server: http.Server | http2.Http2Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    (server as http.Server).closeAllConnections?.();
    server.close();
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ps = (address: string) =>
  runCli(['proxy-status', '--xds-address', address, '--plaintext', '--timeout', '20s']);

describe('not an xDS server at --xds-address', () => {
  it('an HTTP/1.1 server (istiod:15014): answered HTTP/1, not gRPC', async () => {
    const address = await listen(http.createServer((_req, res) => res.end('ok')));
    const r = await ps(address);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${address}: answered HTTP/1, not gRPC: [^\\n]*Protocol error[^\\n]*\\nHint: ${PORTS.replace(/[?()]/g, '\\$&')}\\n$`,
      ),
    );
  });

  it('a gRPC answer announcing 4 GiB: refused at its header, not read into memory', async () => {
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.on('error', () => {});
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const header = Buffer.alloc(5);
      header.writeUInt32BE(0xffffffff, 1);
      stream.write(header);
      const chunk = Buffer.alloc(1 << 20, 0x0a);
      const more = () => {
        while (!stream.destroyed && stream.write(chunk));
      };
      stream.on('drain', more);
      more();
    });
    const address = await listen(server);
    const r = await ps(address);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${address}: response too large: Received message larger than max (4294967295 vs 268435456)\n` +
        `Hint: mesh takes answers of up to 256 MiB from an xDS server; ${PORTS}\n`,
    });
  });
});
