/**
 * `authz check` finds the HTTP connection manager as Envoy does, by the type of its config (a TypedStruct
 * read from its `value`), not by its name only: a renamed or wrapped HCM once gave an empty table, exit 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-authz-hcm-'));
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const RBAC = 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC';
const rbac = {
  name: 'envoy.filters.http.rbac',
  typed_config: {
    '@type': RBAC,
    rules: {
      action: 'DENY',
      policies: { 'ns[foo]-policy[deny-all]-rule[0]': { permissions: [{ any: true }] } },
    },
  },
};
const dump = (filter: unknown) =>
  JSON.stringify(
    {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          dynamic_listeners: [
            { name: 'a', active_state: { listener: { name: 'a', filter_chains: [{ filters: [filter] }] } } },
          ],
        },
      ],
    },
    null,
    1,
  );
const file = (name: string, filter: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, dump(filter));
  return f;
};
const TABLE = 'ACTION   AuthorizationPolicy   RULES\nDENY     deny-all.foo          1\n';

describe('authz check: the HTTP connection manager by its config type', () => {
  it('reads an HCM under another name', async () => {
    const f = file('renamed.json', { name: 'my-hcm', typed_config: { '@type': HCM, http_filters: [rbac] } });
    expect(await runCli(['authz', 'check', '-f', f])).toEqual({ code: 0, stdout: TABLE, stderr: '' });
  });

  it('reads an HCM wrapped in an xds or udpa TypedStruct', async () => {
    for (const wrapper of ['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']) {
      const f = file('struct.json', {
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': `type.googleapis.com/${wrapper}`,
          type_url: HCM,
          value: { stat_prefix: 'x', http_filters: [rbac] },
        },
      });
      expect(await runCli(['authz', 'check', '-f', f])).toEqual({ code: 0, stdout: TABLE, stderr: '' });
    }
  });

  it('an HCM-named filter without a config, or with one of another type, is an error (exit 65), not no policies', async () => {
    const bare = file('bare.json', { name: 'envoy.filters.network.http_connection_manager' });
    expect(await runCli(['authz', 'check', '-f', bare])).toEqual({
      code: 65,
      stdout: 'ACTION   AuthorizationPolicy   RULES\n',
      stderr:
        `Error: ${bare}: line 14 column 11: ListenersConfigDump: dynamic_listeners[0].active_state.listener.filter_chains[0].filters[0] ` +
        `must be an HTTP connection manager with a typed_config of ${HCM} (or a TypedStruct of it), got {"name":"envoy.filters.network.http_conn\n`,
    });
    const other = file('other.json', {
      name: 'envoy.filters.network.http_connection_manager',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy' },
    });
    const r = await runCli(['authz', 'check', '-f', other]);
    expect([r.code, r.stdout]).toEqual([65, 'ACTION   AuthorizationPolicy   RULES\n']);
    expect(r.stderr).toContain(
      'got "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"\n',
    );
  });
});
