/**
 * Ctrl+C at a terminal while mesh shows a spinner: ora's stdin discarder (on by default) put the terminal
 * in raw mode and read it, so Ctrl+C was no signal: `mesh pc cluster` waited on to --timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMesh, inTerminal, pty } from '../../support/terminal.js';

describe.skipIf(!pty)('Ctrl+C while a spinner turns (mesh in a pseudo-terminal)', () => {
  let dir = '';
  let mesh = '';
  // an Envoy admin endpoint that takes the request and never answers
  const silent = http.createServer(() => {});
  let url = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mesh-ctrl-c-'));
    mesh = await bundleMesh(dir);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends mesh at once with exit 130, not at --timeout', async () => {
    const r = await inTerminal(mesh, ['pc', 'cluster', '--admin-url', url, '--timeout', '20s'], {
      columns: 120,
      keys: [{ when: 'Reading the configuration', type: '\x03' }],
    });
    // the spinner was on the screen when Ctrl+C was typed
    expect(r.screen).toContain(`Reading the configuration of ${url}`);
    expect(r.code).toBe(130);
    expect(r.typedAt).toHaveLength(1);
  }, 30_000);
});
