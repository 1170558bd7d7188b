import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyzeDump,
  analyzeListenersDump,
  parsePolicyKey,
  renderAuthzTable,
} from '../../../src/authz/check.js';
import { runCli } from '../../support/cli.js';
import { conformanceDump, startEnvoyAdmin, type AdminServer } from '../../support/envoy-admin-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';

const RBAC_HTTP = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const hcm = (...httpFilters: any[]) => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type':
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    http_filters: httpFilters,
  },
});
const rbac = (config: any) => ({
  name: 'envoy.filters.http.rbac',
  typed_config: { '@type': RBAC_HTTP, ...config },
});
const listener = (name: string, ...filters: any[]) => ({
  name,
  active_state: {
    listener: {
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name,
      filter_chains: [{ filters }],
    },
  },
});
const key = (ns: string, name: string, rule: number) => `ns[${ns}]-policy[${name}]-rule[${rule}]`;

describe('authz check analysis', () => {
  it('groups by action in istioctl order and counts distinct rules per policy', () => {
    const result = analyzeListenersDump({
      dynamic_listeners: [
        listener(
          'virtualInbound',
          hcm(
            rbac({ rules: { action: 'DENY', policies: { [key('prod', 'deny-ext', 0)]: {} } } }),
            rbac({
              rules: {
                policies: {
                  [key('prod', 'viewer', 0)]: {},
                  [key('prod', 'viewer', 1)]: {},
                  [key('prod', 'admin', 0)]: {},
                },
              },
            }),
            rbac({ rules: { action: 'LOG', policies: { [key('prod', 'audit', 0)]: {} } } }),
          ),
        ),
        // the same policies on a second listener do not inflate the counts
        listener('0.0.0.0_8080', hcm(rbac({ rules: { policies: { [key('prod', 'viewer', 1)]: {} } } }))),
        listener('tcp', {
          name: 'envoy.filters.network.rbac',
          typed_config: { rules: { action: 1, policies: { [key('db', 'block', 2)]: {} } } },
        }),
      ],
    });
    expect(renderAuthzTable(result)).toBe(
      [
        'ACTION   AuthorizationPolicy   RULES',
        'DENY     block.db              1',
        'DENY     deny-ext.prod         1',
        'ALLOW    admin.prod            1',
        'ALLOW    viewer.prod           2',
        'LOG      audit.prod            1',
        '',
      ].join('\n'),
    );
    const viewer = result.policies.find((p) => p.name === 'viewer.prod')!;
    expect(viewer).toMatchObject({
      namespace: 'prod',
      policy: 'viewer',
      ruleIndexes: ['0', '1'],
      listeners: ['0.0.0.0_8080', 'virtualInbound'],
    });
  });

  it('lists CUSTOM from ext-authz shadow rules and the match-nothing pseudo policy', () => {
    const result = analyzeListenersDump({
      dynamic_listeners: [
        listener(
          'l',
          hcm(
            rbac({
              shadow_rules: {
                action: 'DENY',
                policies: { [`istio-ext-authz-${key('default', 'ext', 0)}`]: {} },
              },
            }),
          ),
        ),
      ],
    });
    expect(result.policies.map((p) => [p.action, p.name, p.rules])).toEqual([
      ['ALLOW', '_anonymous_match_nothing_', 1],
      ['CUSTOM', 'ext.default', 1],
    ]);
  });

  it('ignores static listeners, default filter chains and listeners without an active state', () => {
    const deny = rbac({ rules: { action: 'DENY', policies: { [key('a', 'b', 0)]: {} } } });
    const result = analyzeListenersDump({
      static_listeners: [{ listener: { filter_chains: [{ filters: [hcm(deny)] }] } }],
      dynamic_listeners: [
        { name: 'warming', warming_state: { listener: { filter_chains: [{ filters: [hcm(deny)] }] } } },
        { name: 'd', active_state: { listener: { default_filter_chain: { filters: [hcm(deny)] } } } },
      ],
    });
    expect(result.policies).toEqual([]);
  });

  it('accepts camelCase field names and legacy filter names', () => {
    const result = analyzeListenersDump({
      dynamicListeners: [
        {
          activeState: {
            listener: {
              filterChains: [
                {
                  filters: [
                    {
                      name: 'envoy.http_connection_manager',
                      typedConfig: {
                        httpFilters: [
                          {
                            name: 'envoy.filters.http.rbac',
                            typedConfig: { rules: { action: 'DENY', policies: { [key('x', 'y', 3)]: {} } } },
                          },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          },
        },
      ],
    });
    expect(result.policies.map((p) => [p.action, p.name, p.ruleIndexes])).toEqual([['DENY', 'y.x', ['3']]]);
  });

  it('lists policies with foreign names under an empty name, and reports them', () => {
    const result = analyzeListenersDump({
      dynamic_listeners: [listener('l', hcm(rbac({ rules: { policies: { 'hand-written': {} } } })))],
    });
    expect(result.unrecognised).toEqual(['hand-written']);
    expect(renderAuthzTable(result)).toBe(
      'ACTION   AuthorizationPolicy   RULES\nALLOW                          1\n',
    );
  });

  it('reads an RBAC filter by the type of its config whatever its name, as Envoy picks extensions', () => {
    const result = analyzeListenersDump({
      dynamic_listeners: [
        listener(
          'l',
          hcm(
            { ...rbac({ rules: { action: 'DENY', policies: { [key('a', 'b', 0)]: {} } } }), name: 'my-rbac' },
            { name: 'my-ecds-rbac', config_discovery: { type_urls: [RBAC_HTTP] } },
          ),
          {
            name: 'custom-tcp-rbac',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC',
              rules: { policies: { [key('a', 'c', 1)]: {} } },
            },
          },
        ),
      ],
    });
    expect(renderAuthzTable(result)).toBe(
      'ACTION   AuthorizationPolicy   RULES\nDENY     b.a                   1\nALLOW    c.a                   1\n',
    );
    expect(result.discovered).toEqual([{ filter: 'my-ecds-rbac', listeners: ['l'] }]);
  });

  it('parses istiod policy keys (greedy, as the Go regexp)', () => {
    expect(parsePolicyKey('ns[default]-policy[httpbin]-rule[0]')).toEqual({
      namespace: 'default',
      policy: 'httpbin',
      rule: '0',
    });
    expect(parsePolicyKey('istio-ext-authz-ns[a]-policy[b]-rule[12]')).toEqual({
      namespace: 'a',
      policy: 'b',
      rule: '12',
    });
    expect(parsePolicyKey('something')).toBeUndefined();
  });

  it("reports istioctl's error for a dump without listeners", () => {
    expect(() => analyzeDump({ configs: [] })).toThrow(
      'config dump has no configuration type type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
    );
  });
});

describe('mesh authz check', () => {
  let admin: AdminServer;
  beforeAll(async () => {
    const dump = conformanceDump('istioctl/pkg/authz/testdata/configdump.yaml');
    admin = await startEnvoyAdmin(undefined, {
      good: { dump },
      truncated: { dump, fault: { kind: 'truncate' } },
      mid: { dump, fault: { kind: 'close-mid-body' } },
      html: { dump, fault: { kind: 'garbage' } },
      down: { dump, fault: { kind: 'status', status: 503 } },
    });
  });
  afterAll(() => admin.close());

  it('prints the table from an admin URL', async () => {
    const r = await runCli(['authz', 'check', '--admin-url', admin.urlOf('good')]);
    expect(r).toEqual({
      code: 0,
      stdout:
        'ACTION   AuthorizationPolicy         RULES\nALLOW    _anonymous_match_nothing_   1\nALLOW    httpbin.default             1\nCUSTOM   ext-authz.default           1\n',
      stderr: '',
    });
    expect(admin.requests).toContain('GET /good/config_dump');
  });

  it('-o json gives namespace, policy, rule indexes and listeners', async () => {
    const r = await runCli(['authz', 'check', '--admin-url', admin.urlOf('good'), '-o', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report.kind).toBe('AuthzCheck');
    const httpbin = report.policies.find((p: any) => p.name === 'httpbin.default');
    expect(httpbin).toMatchObject({
      action: 'ALLOW',
      namespace: 'default',
      policy: 'httpbin',
      rules: 1,
      ruleIndexes: ['0'],
    });
    expect(httpbin.listeners.length).toBeGreaterThan(0);
  });

  it('fails with one line on truncated, cut-off, non-JSON or failing endpoints', async () => {
    const t = await runCli(['authz', 'check', '--admin-url', admin.urlOf('truncated')]);
    expect(t.code).toBe(65);
    expect(t.stderr).toMatch(/^Error: cannot parse config dump: .*truncated after \d+ bytes\)\n$/);
    const m = await runCli(['authz', 'check', '--admin-url', admin.urlOf('mid')]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/truncated/);
    const h = await runCli(['authz', 'check', '--admin-url', admin.urlOf('html')]);
    expect(h.code).toBe(65);
    const d = await runCli(['authz', 'check', '--admin-url', admin.urlOf('down')]);
    expect(d.stderr).toContain('unexpected status code: 503');
    for (const r of [t, m, h, d]) expect(r.stdout).toBe('');
  });

  it('reports a port where nothing listens', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await runCli(['authz', 'check', '--admin-url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('connection refused');
  });

  it('a dump file that does not exist is exit 66, as README says of missing inputs', async () => {
    const r = await runCli(['authz', 'check', '-f', '/nonexistent/dump.json']);
    expect(r).toEqual({
      code: 66,
      stdout: '',
      stderr:
        'Error: failed to get config dump from file /nonexistent/dump.json: open /nonexistent/dump.json: no such file or directory\n',
    });
  });

  it('needs exactly one source', async () => {
    expect((await runCli(['authz', 'check'])).code).toBe(64);
    expect((await runCli(['authz', 'check', 'pod-1', '-f', 'x.json'])).code).toBe(64);
  });

  it('reads a pod through a port-forward, and refuses a pod without proxy', async () => {
    // every port-forward lands on a stand-in serving the authz dump at its root
    const single = await startEnvoyAdmin({
      dump: conformanceDump('istioctl/pkg/authz/testdata/configdump.yaml'),
    });
    const kube = await startFakeKube({
      objects: [fakePod('httpbin-1', 'default'), fakePod('db-0', 'default', { proxy: false })],
      forward: () => Number(new URL(single.url).port),
    });
    const kubeconfig = kube.kubeconfig();
    const r = await runCli(['authz', 'check', 'httpbin-1', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CUSTOM   ext-authz.default           1');
    const noProxy = await runCli(['authz', 'check', 'db-0.default', '--kubeconfig', kubeconfig]);
    expect(noProxy.code).toBe(1);
    expect(noProxy.stderr).toMatch(/^Error: pod db-0\.default has no istio-proxy container\nHint: /);
    const missing = await runCli(['authz', 'check', 'nope', '--kubeconfig', kubeconfig]);
    expect(missing.stderr).toBe('Error: pods "nope" not found\n');
    await kube.close();
    await single.close();
  });
});
