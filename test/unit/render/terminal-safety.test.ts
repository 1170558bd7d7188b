/**
 * Text from inputs and servers never acts on the terminal: a cluster name holding an escape sequence or a
 * line break is shown escaped in proxy-config's table (one row, not a forged second one), and an admin
 * endpoint's error body in the one-line error. Tables of ordinary names are byte for byte istioctl's.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { conformanceDump } from '../../support/envoy-admin-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-terminal-'));
let server: http.Server | undefined;
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('control characters from inputs are shown escaped', () => {
  it('pc cluster: a name with an escape sequence and a line break is one row, escaped', async () => {
    const dump = conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json');
    const clusters = dump.configs.find((c: any) => c['@type'].endsWith('ClustersConfigDump'));
    const first = clusters.dynamic_active_clusters[0].cluster;
    const file = join(dir, 'dump.json');
    writeFileSync(file, JSON.stringify(dump));
    const plain = await runCli(['pc', 'cluster', '-f', file]);
    first.name = `evil\u001b[2J\u001b]0;title\u0007\nFAKE ROW 9999 - outbound EDS`;
    writeFileSync(file, JSON.stringify(dump));
    const r = await runCli(['pc', 'cluster', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout.split('\n')).toHaveLength(plain.stdout.split('\n').length);
    expect(r.stdout).toContain('evil\\x1b[2J\\x1b]0;title\\x07\\nFAKE ROW 9999 - outbound EDS');
  });

  it("an admin endpoint's error body in the error line", async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = 500;
      res.end('internal \u001b[2J\u001b]0;pwned\u0007 error\r\n');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await runCli(['pc', 'cluster', '--admin-url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `Error: Envoy admin ${url}: /config_dump: unexpected status code: 500 (internal \\x1b[2J\\x1b]0;pwned\\x07 error)\n`,
    );
  });
});
