/** Config dumps and admin answers that are not what a command expects: a clear error and exit 65, never an empty table. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const AUTHZ = join(CONFORMANCE, 'istioctl/pkg/authz/testdata/configdump.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mesh-bad-dump-'));
const writeTmp = (name: string, value: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};
const sidecar = () => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (dump: any, name: string) => dump.configs.find((c: any) => c['@type'].endsWith(name));

describe('proxy-config endpoint --file', () => {
  it('reads the EDS section of a config dump as the endpoint table', async () => {
    const pkg = await runCli([
      'pc',
      'endpoint',
      '--file',
      writeTmp('package.json', { name: 'x', version: '1.0.0' }),
    ]);
    expect(pkg.code).toBe(65);
    expect(pkg.stdout).toBe('');
    expect(pkg.stderr).toBe(
      `Error: ${join(tmp, 'package.json')}: neither Envoy's /clusters?format=json output ("cluster_statuses") nor a config dump with endpoints ("configs")\n`,
    );
  });

  it('says when a config dump was taken without endpoints (exit 65)', async () => {
    const r = await runCli(['pc', 'endpoint', '--file', AUTHZ]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('the config dump has no endpoints (no EndpointsConfigDump section)');
  });
});

describe('config dump sections with wrong field types', () => {
  const garbage = () => {
    const dump = sidecar();
    section(dump, 'ListenersConfigDump').dynamic_listeners = 'garbage';
    section(dump, 'ClustersConfigDump').dynamic_active_clusters[0].cluster.name = 5;
    return writeTmp('garbage.json', dump);
  };

  it('each view names the section and field, exit 65, no table', async () => {
    const file = garbage();
    const listeners = await runCli(['pc', 'listener', '-f', file]);
    expect(listeners.code).toBe(65);
    expect(listeners.stdout).toBe('');
    expect(listeners.stderr).toBe(
      'Error: ListenersConfigDump: dynamic_listeners must be a list, got "garbage"\n',
    );
    const clusters = await runCli(['pc', 'cluster', '-f', file, '-o', 'json']);
    expect(clusters.code).toBe(65);
    expect(clusters.stderr).toBe(
      'Error: ClustersConfigDump: dynamic_active_clusters[0].cluster.name must be a string, got 5\n',
    );
    expect((await runCli(['pc', 'route', '-f', file])).code).toBe(0);
  });

  it('`all` prints the sections that are fine and reports the others (exit 65)', async () => {
    const good = await runCli(['pc', 'all', '-f', SIDECAR]);
    const r = await runCli(['pc', 'all', '-f', garbage()]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(
      [
        'Error: ClustersConfigDump: dynamic_active_clusters[0].cluster.name must be a string, got 5',
        'Error: ListenersConfigDump: dynamic_listeners must be a list, got "garbage"',
        '',
      ].join('\n'),
    );
    // Bootstrap, routes, secrets and endpoints print exactly as from the intact dump.
    const blocks = (s: string) => s.split('\n\n');
    const kept = blocks(good.stdout).filter(
      (b) => !/^NAME\s+(SERVICE FQDN|TYPE\s+TLS|ADDRESSES)|^(cluster|listener)\//m.test(b),
    );
    expect(kept.length).toBe(blocks(good.stdout).length - 2);
    expect(blocks(r.stdout)).toEqual(kept);
  });
});
