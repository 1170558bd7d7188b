/**
 * A pseudo-terminal that reports 0 columns (`docker run -t`, some CI ptys, `script` without a terminal):
 * ora cleared an infinite number of lines on every frame, so a command that showed a spinner wrote
 * gigabytes of escape codes and never ended, not even on SIGTERM. There mesh prints no spinner.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceDump } from '../../support/envoy-admin-server.js';
import { ROOT } from './helpers.js';

const dump = JSON.stringify(conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json'));
// an admin endpoint that answers after 2.5 s: long enough for the spinner (shown after 1 s)
const server = http.createServer((_req, res) => setTimeout(() => res.end(dump), 2500));
afterAll(() => server.close());

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.runIf(hasScript)('a terminal 0 columns wide', () => {
  it('pc cluster waiting for a slow proxy ends with its table, without a spinner', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mesh = [process.execPath, join(ROOT, 'bin/mesh.js'), 'pc', 'cluster', '--admin-url', url].join(' ');
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.CI;
    // spawned, not spawnSync: the test's own server must go on answering meanwhile
    const child = spawn('script', ['-qec', `stty cols 0 rows 24; timeout -s KILL 20 ${mesh}`, '/dev/null'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1_000_000) stdout += d;
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const r = { status, stdout };
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeLessThan(100_000);
    expect(r.stdout).toContain('SERVICE FQDN');
    expect(r.stdout).not.toContain('\u001b[1A');
  }, 40_000);
});
