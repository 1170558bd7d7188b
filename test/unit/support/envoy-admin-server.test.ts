/** The Envoy admin stand-in answers like Envoy does, so the tests built on it mean something. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/envoy/admin.js';
import { conformanceDump, startEnvoyAdmin, type AdminServer } from '../../support/envoy-admin-server.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
let server: AdminServer;
let client: AdminClient;

beforeAll(async () => {
  server = await startEnvoyAdmin({
    dump: conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json'),
  });
  client = new AdminClient({ baseUrl: server.url, timeoutMs: 5000 });
});
afterAll(() => server.close());

const json = async (path: string) => JSON.parse(await client.request('GET', path));

describe('Envoy admin stand-in', () => {
  it('/config_dump leaves EDS out unless include_eds is set', async () => {
    const types = (d: any) => d.configs.map((c: any) => c['@type'].slice(ADMIN.length));
    expect(types(await json('config_dump'))).not.toContain('EndpointsConfigDump');
    expect(types(await json('config_dump?include_eds=true'))).toContain('EndpointsConfigDump');
  });

  it('mask keeps the named fields of every section, each still typed', async () => {
    const d = await json('config_dump?mask=dynamic_active_secrets');
    const secrets = d.configs.find((c: any) => c['@type'] === `${ADMIN}SecretsConfigDump`);
    expect(Object.keys(secrets)).toEqual(['@type', 'dynamic_active_secrets']);
    const clusters = d.configs.find((c: any) => c['@type'] === `${ADMIN}ClustersConfigDump`);
    expect(Object.keys(clusters)).toEqual(['@type']);
  });

  it('resource returns the elements of one repeated field, masked per element, filtered by name_regex', async () => {
    const d = await json(
      'config_dump?resource=dynamic_active_clusters&mask=cluster.name&name_regex=^inbound',
    );
    expect(d.configs.length).toBeGreaterThan(0);
    for (const c of d.configs) {
      expect(c['@type']).toBe(`${ADMIN}ClustersConfigDump.DynamicCluster`);
      expect(Object.keys(c)).toEqual(['@type', 'cluster']);
      expect(Object.keys(c.cluster)).toEqual(['name']);
      expect(c.cluster.name).toMatch(/^inbound/);
    }
    await expect(client.request('GET', 'config_dump', { resource: 'no_such_field' })).rejects.toThrow(
      'unexpected status code: 404',
    );
  });

  it('/clusters?format=json lists cluster statuses with their EDS hosts', async () => {
    const c = await json('clusters?format=json');
    expect(c.cluster_statuses.length).toBeGreaterThan(0);
    expect(c.cluster_statuses.some((s: any) => s.host_statuses.length > 0)).toBe(true);
  });

  it('/certs pairs the roots with the workload chain', async () => {
    const c = await json('certs');
    expect(c.certificates).toHaveLength(1);
    expect(c.certificates[0].cert_chain[0].subject_alt_names[0].uri).toMatch(/^spiffe:\/\//);
    expect(c.certificates[0].ca_cert[0].serial_number).toBe('0193a543fe2b0d9cd4847675394dfc54');
    expect(c.certificates[0].cert_chain[0].days_until_expiration).toBe('0');
  });

  it('/logging needs POST; ?level= sets all loggers, ?<logger>= one, bad input is refused', async () => {
    await expect(client.request('GET', 'logging')).rejects.toThrow('unexpected status code: 405');
    expect(await client.logging()).toMatch(/^active loggers:\n {2}admin: warning\n/);
    const all = await client.logging({ level: 'debug' });
    expect(all).not.toContain(': warning');
    const one = await client.logging({ http: 'error' });
    expect(one).toContain('  http: error\n');
    expect(one).toContain('  admin: debug\n');
    await expect(client.logging({ nosuchlogger: 'debug' })).rejects.toThrow('unexpected status code: 404');
    await expect(client.logging({ level: 'loud' })).rejects.toThrow('unexpected status code: 404');
  });

  it('/server_info reports a live server with the bootstrap node', async () => {
    const info = await json('server_info');
    expect(info.state).toBe('LIVE');
    expect(info.node.id).toMatch(/^waypoint~192\.168\.252\.229~/);
  });

  it('serves several proxies under /<id>, each with its own faults', async () => {
    const multi = await startEnvoyAdmin(undefined, {
      a: { dump: { configs: [] } },
      b: { dump: { configs: [] }, fault: { kind: 'status', status: 503 } },
    });
    expect(
      await new AdminClient({ baseUrl: multi.urlOf('a'), timeoutMs: 2000 }).request('GET', 'ready'),
    ).toBe('LIVE\n');
    await expect(
      new AdminClient({ baseUrl: multi.urlOf('b'), timeoutMs: 2000 }).request('GET', 'ready'),
    ).rejects.toThrow('unexpected status code: 503');
    expect(multi.requests).toEqual(['GET /a/ready', 'GET /b/ready']);
    await multi.close();
  });
});
