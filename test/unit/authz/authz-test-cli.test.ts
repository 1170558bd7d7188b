import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCases } from '../../../src/authz/cases.js';
import { runCli } from '../../support/cli.js';

const FIX = join(import.meta.dirname, '../../fixtures/authz');
const dir = mkdtempSync(join(tmpdir(), 'mesh-authz-test-'));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('cases file', () => {
  it('accepts a bare list or cases:, with defaults and lower-cased header names', () => {
    const { cases, problems } = parseCases(
      '- destination: { namespace: a }\n  request: { headers: { X-Id: "7" } }\n  expect: Allow\n',
      'c.yaml',
    );
    expect(problems).toEqual([]);
    expect(cases[0]).toMatchObject({
      name: 'case 1',
      line: 1,
      expect: 'ALLOW',
      request: { protocol: 'http', headers: { 'x-id': '7' }, destination: { namespace: 'a', labels: {} } },
    });
    expect(parseCases('cases:\n- destination: { namespace: a }\n', 'c.yaml').cases).toHaveLength(1);
  });

  it('reads a bare list saved with a byte order mark and CRLF line endings', async () => {
    const text = '\ufeff- name: frontend reads\r\n  destination: { namespace: shop }\r\n  expect: allow\r\n';
    const { cases, problems } = parseCases(text, 'c.yaml');
    expect(problems).toEqual([]);
    expect(cases.map((c) => [c.name, c.line])).toEqual([['frontend reads', 1]]);
    const r = await runCli([
      'authz',
      'test',
      '-f',
      join(FIX, 'policies.yaml'),
      '--cases',
      file('bom.yaml', text),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('frontend reads   ALLOW      ALLOW');
  });

  // `casess:` (a typo) beside `cases:` was ignored: its cases never ran, and the run passed (exit 0).
  it('an unknown key beside cases: is an error at its line; the cases still run', () => {
    const { cases, problems } = parseCases(
      'cases:\n- destination: { namespace: a }\n  expect: allow\ncasess:\n- destination: { namespace: a }\n  expect: deny\n',
      'c.yaml',
    );
    expect(cases).toHaveLength(1);
    expect(problems).toEqual([
      { file: 'c.yaml', line: 4, message: 'unknown key "casess": the file holds cases: [...] only' },
    ]);
  });

  it('names file and line for every bad case and keeps the good ones', () => {
    const text = [
      'cases:',
      '- name: ok',
      '  destination: { namespace: a }',
      '- name: typo',
      '  destination: { namespace: a }',
      '  reqest: { method: GET }',
      '- name: no-ns',
      '  destination: { labels: { app: x } }',
      '- destination: { namespace: a, port: 99999 }',
      '- destination: { namespace: a }',
      '  expect: maybe',
      '- destination: { namespace: a }',
      '  request: { auth: { principal: a, groups: [x] } }',
    ].join('\n');
    const { cases, problems } = parseCases(text, 'c.yaml');
    expect(cases.map((c) => c.name)).toEqual(['ok']);
    expect(problems).toEqual([
      {
        file: 'c.yaml',
        line: 4,
        message: 'case "typo": unknown key "reqest" (allowed: name, source, destination, request, expect)',
      },
      { file: 'c.yaml', line: 7, message: 'case "no-ns": destination.namespace is required' },
      { file: 'c.yaml', line: 9, message: 'case 4: destination.port "99999" must be 1..65535' },
      { file: 'c.yaml', line: 10, message: 'case 5: expect "maybe" must be allow, deny or custom' },
      {
        file: 'c.yaml',
        line: 12,
        message:
          'case 6: request.auth: unknown key "groups" (allowed: principal, audiences, presenter, claims)',
      },
    ]);
  });

  it('reports YAML syntax errors and wrong shapes with a line', () => {
    expect(parseCases('cases: [\n  {a: 1\n', 'c.yaml').problems[0]).toMatchObject({
      file: 'c.yaml',
      line: expect.any(Number),
    });
    expect(parseCases('hello: world\n', 'c.yaml').problems[0]!.message).toBe(
      'expected a list of cases (or cases: [...])',
    );
    expect(parseCases('[]', 'c.yaml').problems[0]!.message).toBe('no cases');
  });
});

describe('mesh authz test', () => {
  it('passes the example cases (exit 0) and explains each decision', async () => {
    const r = await runCli([
      'authz',
      'test',
      '-f',
      join(FIX, 'policies.yaml'),
      '--cases',
      join(FIX, 'cases.yaml'),
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CASE\s+EXPECTED\s+DECISION\s+BY\s+RESULT$/);
    expect(lines).toHaveLength(8);
    expect(lines.slice(1).every((l) => l.endsWith('pass'))).toBe(true);
    expect(r.stdout).toContain('ALLOW shop/products rules[1]');
    expect(r.stdout).toContain('CUSTOM shop/ext-payments rules[0] (provider opa)');
    expect(r.stdout).toContain('DENY istio-system/deny-debug rules[0] (HTTP-only fields ignored for TCP)');
    // The policies are validated as analyze validates them: its warnings are printed, and do not block.
    expect(r.stderr).toMatch(
      /^Warning \[IST0133\] \(AuthorizationPolicy shop\/block-range .*policies\.yaml:53\) Schema validation warning: this DENY rule matches on HTTP attributes .*\n7\/7 case\(s\) with an expectation passed\.\n$/,
    );
  });

  it('JWT claims as Istio matches them: scope split on spaces, a boolean claim never matches "true"', async () => {
    const jwt = join(FIX, '../authz-jwt');
    const r = await runCli([
      'authz',
      'test',
      '-f',
      join(jwt, 'policies.yaml'),
      '--cases',
      join(jwt, 'cases.yaml'),
    ]);
    expect(r).toEqual({
      code: 0,
      stdout: [
        'CASE                 EXPECTED   DECISION   BY                                                    RESULT',
        'scope of two words   ALLOW      ALLOW      ALLOW shop/scopes rules[0]                            pass',
        'boolean claim        DENY       DENY       no rule of the ALLOW policies shop/verified matches   pass',
        'string claim         ALLOW      ALLOW      ALLOW shop/verified rules[0]                          pass',
        '',
      ].join('\n'),
      stderr: '3/3 case(s) with an expectation passed.\n',
    });
  });

  it('IST0133 on a DENY rule with TCP-level fields says which connections it denies, not every one', async () => {
    const policy = file(
      'deny-tcp.yaml',
      [
        'apiVersion: security.istio.io/v1',
        'kind: AuthorizationPolicy',
        'metadata: {name: deny-tcp-http, namespace: shop}',
        'spec:',
        '  selector: {matchLabels: {app: db}}',
        '  action: DENY',
        '  rules:',
        '  - from: [{source: {notPrincipals: ["cluster.local/ns/shop/sa/app"]}}]',
        '    to: [{operation: {notPaths: ["/health"]}}]',
        '',
      ].join('\n'),
    );
    const cases = file(
      'deny-tcp-cases.yaml',
      [
        '- name: app over TCP',
        '  source: {principal: cluster.local/ns/shop/sa/app}',
        '  destination: {namespace: shop, labels: {app: db}, port: 5432}',
        '  request: {protocol: tcp}',
        '  expect: allow',
        '',
      ].join('\n'),
    );
    const r = await runCli(['authz', 'test', '-f', policy, '--cases', cases]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `Warning [IST0133] (AuthorizationPolicy shop/deny-tcp-http ${policy}:8) Schema validation warning: ` +
        'this DENY rule matches on HTTP attributes that plain TCP traffic cannot be checked against; for TCP ' +
        'they are ignored, so the rule denies every TCP connection to the selected workloads that its other ' +
        'conditions (`from` notPrincipals) match. Set `ports` in its operation to limit it to the HTTP ports\n' +
        '1/1 case(s) with an expectation passed.\n',
    );
  });

  it('exits 79 when a case disagrees, and -o json says which', async () => {
    const cases = file(
      'wrong.yaml',
      '- name: frontend deletes\n  source: { principal: cluster.local/ns/shop/sa/frontend }\n  destination: { namespace: shop, labels: { app: products } }\n  request: { method: DELETE, path: /api/v1/products/1 }\n  expect: allow\n- name: no expectation\n  destination: { namespace: shop, labels: { app: cart } }\n',
    );
    const r = await runCli(['authz', 'test', '-f', FIX, '--cases', cases, '-o', 'json']);
    expect(r.code).toBe(79);
    const report = JSON.parse(r.stdout);
    expect(report.results.map((x: any) => [x.name, x.decision, x.pass])).toEqual([
      ['frontend deletes', 'DENY', false],
      ['no expectation', 'ALLOW', undefined],
    ]);
    expect(report.results[0].reason).toBe('no rule of the ALLOW policies shop/products matches');
    expect(report.summary).toEqual({ cases: 2, passed: 0, failed: 1, exitCode: 79 });
    const table = await runCli(['authz', 'test', '-f', FIX, '--cases', cases]);
    expect(table.stdout).toMatch(
      /frontend deletes\s+ALLOW\s+DENY\s+no rule of the ALLOW policies shop\/products matches\s+FAIL/,
    );
    expect(table.stdout).toMatch(/no expectation\s+-\s+ALLOW\s+.*\s+-\n/);
  });

  it('exits 65 for an unparsable policy file or bad cases, still evaluating the rest', async () => {
    const broken = file(
      'broken.yaml',
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: x\n',
    );
    const r = await runCli([
      'authz',
      'test',
      '-f',
      broken,
      '-f',
      join(FIX, 'policies.yaml'),
      '--cases',
      join(FIX, 'cases.yaml'),
    ]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`error: ${broken}:`);
    expect(r.stdout.split('\n').filter((l) => l.endsWith('pass'))).toHaveLength(7);
    const badCases = file(
      'bad-cases.yaml',
      '- destination: { namespace: shop }\n  expect: nope\n- destination: { namespace: shop }\n',
    );
    const b = await runCli(['authz', 'test', '-f', FIX, '--cases', badCases]);
    expect(b.code).toBe(65);
    expect(b.stderr).toContain(`error: ${badCases}:1: case 1: expect "nope" must be allow, deny or custom`);
  });

  // A DENY policy saved as deny.txt was passed over with a warning, and a case expecting ALLOW passed:
  // exit 0, the policy test green without its policy.
  it('a -f path passed over (another extension, a folder without manifests) is an error: exit 65, not a pass', async () => {
    const policy =
      'apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n' +
      'metadata: { name: deny-all, namespace: shop }\nspec: { action: DENY, rules: [{}] }\n';
    const cases = file(
      'allow-cases.yaml',
      '- destination: { namespace: shop }\n  request: { path: / }\n  expect: allow\n',
    );
    const txt = file('deny.txt', policy);
    const r = await runCli(['authz', 'test', '-f', txt, '--cases', cases]);
    expect(r.stderr.split('\n')[0]).toBe(
      `error: ${txt}: skipped: recognised file extensions are .yaml, .yml and .json`,
    );
    expect(r.code).toBe(65);
    const folder = join(dir, 'no-manifests');
    mkdirSync(folder);
    writeFileSync(join(folder, 'deny.txt'), policy);
    const f = await runCli(['authz', 'test', '-f', folder, '--cases', cases]);
    expect(f.stderr.split('\n')[0]).toBe(`error: ${folder}: no .yaml, .yml or .json files in this folder`);
    expect(f.code).toBe(65);
  });

  it('needs -f and --cases, and a readable cases file', async () => {
    expect((await runCli(['authz', 'test', '--cases', 'x.yaml'])).code).toBe(64);
    expect((await runCli(['authz', 'test', '-f', FIX])).code).toBe(64);
    const r = await runCli(['authz', 'test', '-f', FIX, '--cases', join(dir, 'missing.yaml')]);
    // a named input that is missing is 66, as everywhere (was 1)
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(
      `Error: cannot read cases file: open ${join(dir, 'missing.yaml')}: no such file or directory\n`,
    );
    const binary = file('cases.bin', 'a\u0000b');
    const b = await runCli(['authz', 'test', '-f', FIX, '--cases', binary]);
    expect(b.code).toBe(65);
    expect(b.stderr).toMatch(/^Error: .*cases\.bin: .*not text/);
  });

  it('warns when no policy was found (everything is allowed)', async () => {
    const empty = file('empty.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n');
    const r = await runCli(['authz', 'test', '-f', empty, '--cases', join(FIX, 'cases.yaml')]);
    expect(r.stderr).toContain('warning: no AuthorizationPolicy found: every request is allowed');
    expect(r.code).toBe(79);
  });
});
