/**
 * Parts of a config dump that cannot be read: a damaged resource, a missing section, a field of the wrong
 * type deep in a resource. Each is one line naming the file, the section and the JSON path (with line
 * and column for JSON), exit 65; `pc diff` compares what can be read and never reports a difference that
 * comes only from what could not be read; `pc all` prints the sections that are fine.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeDump } from '../../../src/authz/check.js';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const tmp = mkdtempSync(join(tmpdir(), 'mesh-unreadable-'));
const sidecar = () => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (dump: any, name: string) => dump.configs.find((c: any) => c['@type'] === ADMIN + name);
/** The dump written as `JSON.stringify(dump, null, 2)` (so that line and column are worth checking). */
const write = (name: string, dump: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, typeof dump === 'string' ? dump : JSON.stringify(dump, null, 2));
  return file;
};
/** The sidecar dump with one static cluster whose name is an object (the tester's b.json). */
const damagedCluster = () => {
  const dump = sidecar();
  section(dump, 'ClustersConfigDump').static_clusters[0].cluster.name = { x: 1 };
  return write('b.json', dump);
};
const withoutSection = (name: string) => {
  const dump = sidecar();
  dump.configs = dump.configs.filter((c: any) => c['@type'] !== ADMIN + name);
  return write(`no-${name}.json`, dump);
};
const missing = (file: string, name: string) =>
  `Error: ${file}: config dump has no configuration type ${ADMIN}${name}\n`;

describe('pc diff with a side that is partly unreadable', () => {
  it('compares the rest of the section and lists what could not be compared; exit 65, not a false difference (79)', async () => {
    const a = write('a.json', readFileSync(SIDECAR, 'utf8'));
    const b = damagedCluster();
    const r = await runCli(['pc', 'diff', a, b]);
    expect(r).toEqual({
      code: 65,
      stdout:
        `No differences between ${a} and ${b} in what both could read (compared 2 clusters, 2 listeners, 1 route, 2 endpoints, 2 secrets; 1 cluster not compared).\n` +
        `? cluster agent: only in ${a}, not compared (not every cluster of ${b} could be read)\n`,
      stderr: `Error: ${b}: line 30 column 21: ClustersConfigDump: static_clusters[0].cluster.name must be a string, got {"x":1}\n`,
    });
    const json = await runCli(['pc', 'diff', b, a, '-o', 'json']);
    expect(json.code).toBe(65);
    const d = JSON.parse(json.stdout);
    expect([d.same, d.compared.cluster, d.differences, d.notCompared]).toEqual([
      true,
      2,
      [],
      [{ kind: 'cluster', name: 'agent', side: 'b' }],
    ]);
    expect(d.unreadable).toEqual([
      {
        side: 'a',
        kind: 'cluster',
        missing: false,
        error: `${b}: line 30 column 21: ClustersConfigDump: static_clusters[0].cluster.name must be a string, got {"x":1}`,
      },
    ]);
  });

  it('a real difference next to an unreadable part is still reported: exit 79', async () => {
    const a = write('a.json', readFileSync(SIDECAR, 'utf8'));
    const dump = sidecar();
    const clusters = section(dump, 'ClustersConfigDump');
    clusters.static_clusters[0].cluster.name = { x: 1 };
    clusters.dynamic_active_clusters[0].cluster.connect_timeout = '5s';
    const b = write('b-changed.json', dump);
    const r = await runCli(['pc', 'diff', a, b]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        `--- ${a}`,
        `+++ ${b}`,
        '~ cluster inbound-vip|8000|http|httpbin.default.svc.cluster.local: 1 field differs',
        '    connectTimeout: (absent) -> "5s"',
        `? cluster agent: only in ${a}, not compared (not every cluster of ${b} could be read)`,
        '1 difference (compared 2 clusters, 2 listeners, 1 route, 2 endpoints, 2 secrets; 1 cluster not compared).',
        '',
      ].join('\n'),
      stderr: `Error: ${b}: line 30 column 21: ClustersConfigDump: static_clusters[0].cluster.name must be a string, got {"x":1}\n`,
    });
  });

  it('a section missing on one side is not a difference; missing on both, there is nothing to compare', async () => {
    const a = write('a.json', readFileSync(SIDECAR, 'utf8'));
    const none = withoutSection('ClustersConfigDump');
    const r = await runCli(['pc', 'diff', none, a]);
    const why = `(${none} has no ClustersConfigDump section)`;
    expect(r).toEqual({
      code: 65,
      stdout: [
        `No differences between ${none} and ${a} in what both could read (compared 2 listeners, 1 route, 2 endpoints, 2 secrets; 3 clusters not compared).`,
        `? cluster agent: only in ${a}, not compared ${why}`,
        `? cluster inbound-vip|8000|http|httpbin.default.svc.cluster.local: only in ${a}, not compared ${why}`,
        `? cluster prometheus_stats: only in ${a}, not compared ${why}`,
        '',
      ].join('\n'),
      stderr: missing(none, 'ClustersConfigDump'),
    });
    const same = await runCli(['pc', 'diff', none, none]);
    expect(same).toEqual({
      code: 0,
      stdout: `No differences between ${none} and ${none} (compared 2 listeners, 1 route, 2 endpoints, 2 secrets).\n`,
      stderr: '',
    });
  });
});

describe('a dump without the section a command reads (exit 65, the file and section named)', () => {
  it('pc all prints every other section, then names the missing one', async () => {
    const good = await runCli(['pc', 'all', '-f', SIDECAR]);
    const file = withoutSection('ClustersConfigDump');
    const r = await runCli(['pc', 'all', '--file', file]);
    const clusterTable = /^NAME +SERVICE FQDN [^]*?\n\n/m;
    expect(good.stdout).toMatch(clusterTable);
    expect(r).toEqual({
      code: 65,
      stdout: good.stdout.replace(clusterTable, ''),
      stderr: missing(file, 'ClustersConfigDump'),
    });
  });

  it('pc cluster, listener, route, bootstrap and ecds', async () => {
    for (const [cmd, name] of [
      ['cluster', 'ClustersConfigDump'],
      ['listener', 'ListenersConfigDump'],
      ['route', 'RoutesConfigDump'],
      ['bootstrap', 'BootstrapConfigDump'],
    ]) {
      const file = withoutSection(name!);
      const r = await runCli(['pc', cmd!, '--file', file]);
      expect(r, cmd).toEqual({ code: 65, stdout: '', stderr: missing(file, name!) });
    }
    // the sidecar dump has no ECDS section at all
    const ecds = await runCli(['pc', 'ecds', '--file', SIDECAR]);
    expect(ecds).toEqual({ code: 65, stdout: '', stderr: missing(SIDECAR, 'EcdsConfigDump') });
  });

  it('authz check: exit 65, naming the dump', async () => {
    const file = withoutSection('ListenersConfigDump');
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `Error: ${file}: config dump has no configuration type ${ADMIN}ListenersConfigDump\n`,
    );
    expect(() => analyzeDump({ configs: [] }, 'dump.json')).toThrow(
      expect.objectContaining({
        message: `dump.json: config dump has no configuration type ${ADMIN}ListenersConfigDump`,
        exitCode: 65,
      }),
    );
  });
});

describe('a field of the wrong type deep in a resource: file, line and column, section, JSON path', () => {
  it('a listener filter list that is a string (the tester’s bad-listener.json)', async () => {
    const dump = sidecar();
    for (const l of section(dump, 'ListenersConfigDump').dynamic_listeners)
      l.active_state.listener.filter_chains = [{ filters: 'x' }];
    const file = write('bad-listener.json', dump);
    const r = await runCli(['pc', 'listener', '--file', file]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${file}: line 281 column 30: ListenersConfigDump: dynamic_listeners[0].active_state.listener.filter_chains[0].filters must be a list, got "x"\n`,
    });
  });

  it('a domain that is a number, in a camelCase dump: the path as written', async () => {
    const dump = sidecar();
    const routes = section(dump, 'RoutesConfigDump');
    routes.staticRouteConfigs = routes.static_route_configs;
    delete routes.static_route_configs;
    routes.staticRouteConfigs[0].route_config.virtual_hosts[0].domains = ['a', 5];
    const file = write('domain-number.json', dump);
    const r = await runCli(['pc', 'route', '--file', file]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${file}: line 1152 column 19: RoutesConfigDump: staticRouteConfigs[0].route_config.virtual_hosts[0].domains[1] must be a string, got 5\n`,
    });
  });

  it('a YAML dump has no line and column here, but still the file, section and path', async () => {
    const file = write(
      'listener.yaml',
      [
        'configs:',
        `- "@type": ${ADMIN}ListenersConfigDump`,
        '  static_listeners:',
        '  - listener:',
        '      name: l',
        '      filter_chains:',
        '      - filters: 5',
        '',
      ].join('\n'),
    );
    const r = await runCli(['pc', 'listener', '--file', file]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${file}: ListenersConfigDump: static_listeners[0].listener.filter_chains[0].filters must be a list, got 5\n`,
    });
  });

  it("pc endpoint --file with Envoy's /clusters JSON", async () => {
    const file = write(
      'clusters.json',
      JSON.stringify({ cluster_statuses: [{ name: 'c', host_statuses: 'x' }] }),
    );
    const r = await runCli(['pc', 'endpoint', '--file', file]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${file}: line 1 column 50: cluster_statuses[0].host_statuses must be a list, got "x"\n`,
    });
  });
});
