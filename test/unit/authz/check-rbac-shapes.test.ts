/**
 * `authz check` on RBAC filters in shapes istioctl does not read the way Envoy does, and on dumps where
 * it prints nothing: never a silent empty answer. Fixtures in test/fixtures/authz-check/ (what istioctl
 * prints for each is noted by the test).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const FIX = join(import.meta.dirname, '../../fixtures/authz-check');
const fixture = (name: string) => join(FIX, name);
const HEADER = 'ACTION   AuthorizationPolicy   RULES\n';

describe('authz check: RBAC filters Envoy enforces but istioctl cannot read', () => {
  it('reads a config wrapped in a TypedStruct (udpa and xds) from its value, as Envoy does', async () => {
    // istioctl logs "found RBAC HTTP filter but failed to parse: proto: mismatched message type" and prints
    // the header only: a DENY that Envoy enforces went missing
    const r = await runCli(['authz', 'check', '-f', fixture('rbac-typedstruct.json')]);
    expect(r).toEqual({
      code: 0,
      stdout: `${HEADER}DENY     typedstruct.foo       1\nALLOW    tcp-allow.foo         1\n`,
      stderr: '',
    });
  });

  it('says in one warning line that an ECDS filter has its policies elsewhere, not an empty table', async () => {
    // istioctl lists `ALLOW _anonymous_match_nothing_` (it reads the missing config as an empty RBAC)
    const file = fixture('rbac-ecds.json');
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r).toEqual({
      code: 0,
      stdout: HEADER,
      stderr:
        'warning: RBAC filter "envoy.filters.http.rbac" takes its config from ECDS (config_discovery), not from ' +
        'the listener: its policies are not listed (listener l)\n',
    });
    const json = await runCli(['authz', 'check', '-f', file, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      policies: [],
      ecdsFilters: [{ filter: 'envoy.filters.http.rbac', listeners: ['l'] }],
    });
  });

  it('an RBAC filter with neither typed_config nor config_discovery is an error (exit 65)', async () => {
    // istioctl lists `ALLOW _anonymous_match_nothing_`; Envoy finds a filter by its config's type and
    // rejects one without any, so no active listener can hold it
    const file = fixture('rbac-no-config.json');
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r).toEqual({
      code: 65,
      stdout: HEADER,
      stderr:
        `Error: ${file}: line 28 column 14: ListenersConfigDump: dynamic_listeners[0].active_state.listener.` +
        'filter_chains[0].filters[0].typed_config.http_filters[0] must be an RBAC filter with a typed_config ' +
        'or a config_discovery (Envoy accepts no filter without either), got {"name":"envoy.filters.http.rbac"}\n',
    });
  });

  it('an RBAC filter whose config is of another type is an error naming the whole type (exit 65)', async () => {
    // istioctl prints the header only
    const file = fixture('rbac-v2-type.json');
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r).toEqual({
      code: 65,
      stdout: HEADER,
      stderr:
        `Error: ${file}: line 17 column 22: ListenersConfigDump: dynamic_listeners[0].active_state.listener.` +
        'filter_chains[0].filters[0].typed_config.@type must be ' +
        'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC (or a TypedStruct of it), got ' +
        '"type.googleapis.com/envoy.config.filter.network.rbac.v2.RBAC"\n',
    });
  });
});

describe('authz check: what mesh adds to istioctl', () => {
  it('-o json counts rules per row (action); the table keeps istioctl counting across actions', async () => {
    const file = fixture('rbac-actions-merged.json');
    // istioctl: DENY p.foo 2 / ALLOW p.foo 2 (rule indexes of a name, whatever their action)
    const table = await runCli(['authz', 'check', '-f', file]);
    expect(table).toEqual({
      code: 0,
      stdout: `${HEADER}DENY     p.foo                 2\nALLOW    p.foo                 2\n`,
      stderr: '',
    });
    const json = await runCli(['authz', 'check', '-f', file, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).policies).toEqual([
      {
        action: 'DENY',
        name: 'p.foo',
        namespace: 'foo',
        policy: 'p',
        rules: 1,
        ruleIndexes: ['0'],
        listeners: ['a'],
      },
      {
        action: 'ALLOW',
        name: 'p.foo',
        namespace: 'foo',
        policy: 'p',
        rules: 1,
        ruleIndexes: ['1'],
        listeners: ['b'],
      },
    ]);
  });

  it('escapes line breaks and escape sequences of a policy key in its warning', async () => {
    const r = await runCli(['authz', 'check', '-f', fixture('rbac-control-chars.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: RBAC policy "ns[a\\nb]-policy[x]-rule[0]" does not follow istiod\'s naming; listed with an empty name\n' +
        'warning: RBAC policy "ns[foo]-policy[evil\\x1b[2J\\nDENY   forged]-rule[0]" does not follow istiod\'s ' +
        'naming; listed with an empty name\n',
    );
    expect(r.stdout).toBe(
      `${HEADER}DENY                           1\nDENY     deny-admin.foo        1\n` +
        'ALLOW    allow-get.foo         2\nALLOW    tcp-allow.foo         1\nLOG      audit.foo             1\n',
    );
  });

  it('no active listener: nothing on stdout, as istioctl, and a note on stderr', async () => {
    const file = fixture('no-active-listeners.json'); // warming, draining and static listeners only
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr: `note: ${file} has no active listener (warming, draining and static ones are not read): nothing to list\n`,
    });
  });

  it('--proxy-admin-port that is not a number: the given text is echoed (exit 64)', async () => {
    const r = await runCli(['authz', 'check', 'pod-1', '--proxy-admin-port', 'abc']);
    expect(r).toEqual({
      code: 64,
      stdout: '',
      stderr: 'Error: invalid --proxy-admin-port "abc": expected a number\n',
    });
  });
});
