/**
 * `authz check` on a dump whose RBAC filters or listeners cannot be read: never a silent wrong answer
 * (a policy list read as "no policies", an unknown action read as ALLOW). What cannot be read is one
 * `Error:` line naming the file, line and column, section and JSON path (listener, filter chain, field),
 * exit 65, and the rest of the table is still printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { conformanceDump } from '../../support/envoy-admin-server.js';

const tmp = mkdtempSync(join(tmpdir(), 'mesh-authz-malformed-'));
const authzDump = () => conformanceDump('istioctl/pkg/authz/testdata/configdump.yaml');
const listeners = (dump: any) =>
  dump.configs.find((c: any) => c['@type'].endsWith('.ListenersConfigDump')).dynamic_listeners;
/** The HTTP RBAC filter of virtualInbound's second filter chain (one of those carrying httpbin.default). */
const httpbinRbac = (dump: any) =>
  listeners(dump)[23].active_state.listener.filter_chains[1].filters[2].typed_config.http_filters[1]
    .typed_config;
/** Every RBAC config of the dump, wherever it is. */
const everyRbac = (v: any, out: any[] = []): any[] => {
  if (Array.isArray(v)) v.forEach((x) => everyRbac(x, out));
  else if (v && typeof v === 'object') {
    if (/rbac\.v3\.RBAC$/.test(v['@type'] ?? '')) out.push(v);
    Object.values(v).forEach((x) => everyRbac(x, out));
  }
  return out;
};
const write = (name: string, dump: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(dump, null, 1));
  return file;
};
/** The text at `line L column C` of an error message, to check that the position is the field's value. */
const textAt = (dump: unknown, message: string) => {
  const [, line, column] = /line (\d+) column (\d+)/.exec(message)!;
  const lines = JSON.stringify(dump, null, 1).split('\n');
  return lines[Number(line) - 1]!.slice(Number(column) - 1);
};
const HTTPBIN_PATH =
  'dynamic_listeners[23].active_state.listener.filter_chains[1].filters[2].typed_config.http_filters[1].typed_config.rules';

describe('authz check with an RBAC filter that cannot be read', () => {
  it('rules.policies as a list: the filter is reported, not read as matching nothing (exit 65)', async () => {
    const dump = authzDump();
    const rules = httpbinRbac(dump).rules;
    rules.policies = Object.entries(rules.policies).map(([k, v]) => ({ [k]: v }));
    const file = write('policies-list.json', dump);
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r.code).toBe(65);
    // the other filters carrying httpbin.default are still read
    expect(r.stdout).toBe(
      'ACTION   AuthorizationPolicy         RULES\nALLOW    _anonymous_match_nothing_   1\nALLOW    httpbin.default             1\nCUSTOM   ext-authz.default           1\n',
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${file}: line \\d+ column \\d+: ListenersConfigDump: ${esc(HTTPBIN_PATH)}\\.policies must be an object, got \\[\\{"ns\\[default\\]-policy\\[httpbin\\]-rule\\[0\\]`,
      ),
    );
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(textAt(dump, r.stderr)).toMatch(/^\[/);
    // -o json says in the report itself that a part is missing
    const json = await runCli(['authz', 'check', '-f', file, '-o', 'json']);
    expect(json.code).toBe(65);
    const report = JSON.parse(json.stdout);
    expect(report.unreadable).toEqual([r.stderr.replace(/^Error: /, '').trimEnd()]);
    expect(report.policies.map((p: { name: string }) => p.name)).toContain('httpbin.default');
  });

  it('every httpbin filter with a policy list (the tester’s dump): httpbin.default is not silently lost', async () => {
    const dump = authzDump();
    for (const c of everyRbac(dump))
      if (c.rules?.policies)
        c.rules.policies = Object.entries(c.rules.policies).map(([k, v]) => ({ [k]: v }));
    const r = await runCli(['authz', 'check', '-f', write('all-lists.json', dump)]);
    expect(r.code).toBe(65);
    expect(r.stdout).not.toContain('httpbin');
    const errors = r.stderr.trimEnd().split('\n');
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toMatch(/^Error: .*rules\.policies must be an object, got \[/);
  });

  it('an unknown action is reported, not shown as ALLOW (exit 65)', async () => {
    const dump = authzDump();
    httpbinRbac(dump).rules.action = 'DENYY';
    const file = write('denyy.json', dump);
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stdout).toContain('ALLOW    httpbin.default             1\n'); // from the other filters
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${file}: line \\d+ column \\d+: ListenersConfigDump: ${esc(HTTPBIN_PATH)}\\.action must be ALLOW, DENY or LOG, got "DENYY"\\n$`,
      ),
    );
    expect(textAt(dump, r.stderr)).toMatch(/^"DENYY"/);
    // an enum number out of range too; one in range is read
    httpbinRbac(dump).rules.action = 7;
    const seven = await runCli(['authz', 'check', '-f', write('seven.json', dump)]);
    expect([seven.code, seven.stderr]).toEqual([
      65,
      expect.stringContaining('.action must be ALLOW, DENY or LOG, got 7\n'),
    ]);
    for (const c of everyRbac(dump)) if (c.rules?.policies) c.rules.action = 1;
    const deny = await runCli(['authz', 'check', '-f', write('deny.json', dump)]);
    expect(deny).toMatchObject({ code: 0, stderr: '' });
    expect(deny.stdout).toContain('DENY     httpbin.default             1\n');
  });

  it('a typed config or rules that is not an object is reported', async () => {
    const dump = authzDump();
    httpbinRbac(dump).rules = 'x';
    const r = await runCli(['authz', 'check', '-f', write('rules-str.json', dump)]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`: ListenersConfigDump: ${HTTPBIN_PATH} must be an object, got "x"\n`);
  });
});

describe('authz check: a field of the wrong type names the file, line and column', () => {
  it('a listener whose filter chains are not a list: that listener is reported, the others read', async () => {
    const dump = authzDump();
    listeners(dump)[0].active_state.listener.filter_chains = 'x';
    const file = write('fcstr.json', dump);
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stdout).toContain('httpbin.default');
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${file}: line \\d+ column \\d+: ListenersConfigDump: dynamic_listeners\\[0\\]\\.active_state\\.listener\\.filter_chains must be a list, got "x"\\n$`,
      ),
    );
    expect(textAt(dump, r.stderr)).toMatch(/^"x"/);
  });

  it('a listener list that is not a list: nothing to report but the error', async () => {
    const dump = authzDump();
    const section = dump.configs.find((c: any) => c['@type'].endsWith('.ListenersConfigDump'));
    section.dynamic_listeners = 'garbage';
    const file = write('dlstr.json', dump);
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: expect.stringMatching(
        new RegExp(
          `^Error: ${file}: line \\d+ column \\d+: ListenersConfigDump: dynamic_listeners must be a list, got "garbage"\\n$`,
        ),
      ),
    });
    expect(textAt(dump, r.stderr)).toMatch(/^"garbage"/);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
