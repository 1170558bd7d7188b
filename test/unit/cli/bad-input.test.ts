/** Bad input met through the CLI: each case is reported in one located line and hides nothing else. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mesh } from './helpers.js';
import { PLANTED } from '../../support/manifests.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mesh-bad-'));

describe('mesh analyze: one hostile document hides nothing else', () => {
  it('a 10,000-level JSON or YAML flow document is refused with its line; the sibling’s finding stays', () => {
    const dir = tmp();
    const deep = 10_000;
    const vsJson = (x: string) =>
      `{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"deep","namespace":"default"},"spec":{"hosts":["a"],"http":[{"route":[{"destination":{"host":"a"}}],"x":${x}}]}}`;
    writeFileSync(join(dir, 'deep.json'), vsJson(`${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}`));
    writeFileSync(
      join(dir, 'flow.yaml'),
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: flow\nspec:\n  hosts: [f]\n  x: ${'['.repeat(deep)}1${']'.repeat(deep)}\n`,
    );
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    const r = mesh(['analyze', dir]);
    expect(r.stdout).toContain(
      `Error [IST0106] (VirtualService default/planted ${join(dir, 'planted.yaml')}:12) Schema validation error: weight must be a non-negative integer, got -5`,
    );
    expect(r.stdout).not.toContain('IST0001');
    expect(r.stderr).toMatch(
      new RegExp(
        `error: ${join(dir, 'deep.json')}:1:\\d+: document nests mappings and sequences more than 100 levels deep; refused`,
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `error: ${join(dir, 'flow.yaml')}:7:\\d+: document nests mappings and sequences more than 100 levels deep; refused`,
      ),
    );
    expect(r.code).toBe(79);
  });
});

describe('mesh analyze: a kind: List names its items at their own lines', () => {
  // the items' errors, the warning for an object defined twice and -v's unknown kinds all said the List's
  // first line, however far down the item was
  it('in block YAML, flow YAML and JSON', () => {
    const dir = tmp();
    const block = join(dir, 'block.yaml');
    writeFileSync(
      block,
      [
        '# kubectl get -o yaml',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- apiVersion: v1',
        '  kind: Service',
        '  metadata: {name: a, namespace: shop}',
        '- metadata:',
        '    name: noapi',
        '- apiVersion: networking.istio.io/v1',
        '  kind: VirtualService',
        '  metadata:',
        '    name: {bad: 1}',
        '- apiVersion: foo.example/v1',
        '  kind: Widget',
        '  metadata: {name: w}',
        '- 42',
        '',
      ].join('\n'),
    );
    const flow = join(dir, 'flow.yaml');
    writeFileSync(
      flow,
      'apiVersion: v1\nkind: List\nitems: [\n  {kind: Service, metadata: {name: b}},\n  {apiVersion: v1, kind: Service, metadata: {name: a, namespace: shop}}]\n',
    );
    const json = join(dir, 'list.json');
    writeFileSync(
      json,
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ metadata: { name: 'x' } }, 7] }, null, 2),
    );
    const r = mesh(['analyze', '-v', block, flow, json]);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('error:') || l.startsWith('warning:'))).toEqual([
      `error: ${block}:8:3: List item 1 has no apiVersion or kind`,
      `error: ${block}:10:3: List item 2: VirtualService metadata.name is a mapping, not a string (an unrendered template such as {{ .Values.name }}? render it first: helm template … | mesh analyze -)`,
      `error: ${block}:17:3: List item 4 is the number 42, not a Kubernetes object`,
      `error: ${flow}:4:3: List item 0 of kind Service has no apiVersion`,
      `error: ${json}:5:5: List item 0 has no apiVersion or kind`,
      `error: ${json}:10:5: List item 1 is the number 7, not a Kubernetes object`,
      `warning: ${flow}:5: Service shop/a redefines the one at ${block}:5 (the later one is analyzed)`,
    ]);
    expect(r.stderr).toContain(`foo.example/v1 Widget (first at ${block}:14)`);
    expect(r.code).toBe(65);
  });

  it('authz test names both definitions of a policy defined twice in a List', () => {
    const dir = tmp();
    const policies = join(dir, 'policies.yaml');
    const policy = (spec: string) =>
      `- apiVersion: security.istio.io/v1\n  kind: AuthorizationPolicy\n  metadata: {name: twice, namespace: shop}\n  spec: ${spec}\n`;
    writeFileSync(
      policies,
      `apiVersion: v1\nkind: List\nitems:\n${policy('{action: DENY, rules: [{}]}')}${policy('{}')}`,
    );
    const cases = join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      'cases:\n- name: x\n  destination: {namespace: shop, labels: {app: a}}\n  request: {path: /}\n  expect: DENY\n',
    );
    const r = mesh(['authz', 'test', '-f', policies, '--cases', cases]);
    expect(r.stderr.split('\n')[0]).toBe(
      `warning: ${policies}:8: AuthorizationPolicy shop/twice is also defined at ${policies}:4; only this later definition is evaluated (applied in this order, the cluster would keep it)`,
    );
    expect(r.code).toBe(0);
  });
});

describe('mesh analyze: inputs that are missing, empty, looping, mis-encoded or unrendered', () => {
  it('a path that does not exist is exit 66, with no success line', () => {
    const r = mesh(['analyze', '/nonexistent/manifests']);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('error: /nonexistent/manifests: no such file or directory');
    expect(r.stderr).not.toContain('No validation issues');
    expect(r.stdout).toBe('');
    const json = mesh(['analyze', '/nonexistent/manifests', '-o', 'json']);
    expect(json.code).toBe(66);
    expect(JSON.parse(json.stdout).summary).toMatchObject({ parseErrors: 0, exitCode: 66 });
  });

  it('findings elsewhere still decide (79 over 66); a missing path next to clean input is 66', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    const r = mesh(['analyze', dir, join(dir, 'typo')]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('IST0106');
    expect(r.stderr).toContain(`error: ${join(dir, 'typo')}: no such file or directory`);
    const clean = tmp();
    writeFileSync(join(clean, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    const r2 = mesh(['analyze', clean, join(clean, 'typo')]);
    expect(r2.code).toBe(66);
    expect(r2.stderr).not.toContain('No validation issues');
  });

  it('a folder without manifests says so on stderr', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'README.md'), '# not a manifest\n');
    const r = mesh(['analyze', dir]);
    expect(r.stderr).toContain(`warning: ${dir}: no .yaml, .yml or .json files in this folder`);
    expect(r.code).toBe(0);
  });

  it('a symbolic link loop reads each real file once', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'planted.yaml'), PLANTED);
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync('planted.yaml', join(dir, 'alias.yaml'));
    const r = mesh(['analyze', dir, '-o', 'json']);
    expect(r.stderr).not.toContain('redefines');
    const report = JSON.parse(r.stdout);
    expect(report.summary.files).toBe(1);
    expect(report.findings.map((f: { code: string }) => f.code)).toEqual(['IST0106']);
    expect(r.code).toBe(79);
  });

  it('bytes that are not UTF-8 are a warning naming file and line', () => {
    const dir = tmp();
    const file = join(dir, 'latin1.yaml');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf'),
        Buffer.from([0xe9]),
        Buffer.from('\n'),
      ]),
    );
    const r = mesh(['analyze', file]);
    expect(r.stderr).toContain(`warning: ${file}:4: not valid UTF-8`);
    expect(r.code).toBe(0);
  });

  it('an unrendered Helm placeholder in metadata.name is an error naming the file, not "[object Object]"', () => {
    const dir = tmp();
    const file = join(dir, 'svc.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  ports:\n  - port: 80\n',
    );
    const r = mesh(['analyze', file]);
    expect(r.stdout + r.stderr).not.toContain('[object Object]');
    expect(r.stderr).toContain(`error: ${file}:1:1: Service metadata.name is a mapping, not a string`);
    expect(r.code).toBe(65);
  });
});

describe('mesh authz test: policies are validated as analyze validates them', () => {
  const policy = (source: string, operation: string) =>
    `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: only-admin\n  namespace: shop\nspec:\n  action: ALLOW\n  rules:\n  - from:\n    - source:\n        ${source}: ["cluster.local/ns/shop/sa/admin"]\n    to:\n    - operation:\n        ${operation}: ["GET"]\n`;
  const CASES = `cases:\n- name: stranger posts\n  source: { principal: cluster.local/ns/evil/sa/x }\n  destination: { namespace: shop }\n  request: { method: POST, path: / }\n  expect: deny\n`;

  it('refuses to evaluate a policy with misspelled fields, printing analyze’s findings (exit 65)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'policy.yaml'), policy('principal', 'method'));
    writeFileSync(join(dir, 'cases.yaml'), CASES);
    const r = mesh(['authz', 'test', '-f', join(dir, 'policy.yaml'), '--cases', join(dir, 'cases.yaml')]);
    const analyzed = mesh(['analyze', join(dir, 'policy.yaml')]);
    for (const line of analyzed.stdout.trim().split('\n')) expect(r.stderr).toContain(line);
    expect(r.stderr).toContain('unknown field "principal" in spec.rules[0].from[0].source');
    expect(r.stderr).toContain('no case is evaluated');
    expect(r.stdout).not.toContain('ALLOW');
    expect(r.code).toBe(65);

    writeFileSync(join(dir, 'policy.yaml'), policy('principals', 'methods'));
    const fixed = mesh(['authz', 'test', '-f', join(dir, 'policy.yaml'), '--cases', join(dir, 'cases.yaml')]);
    expect(fixed.stdout).toMatch(/stranger posts\s+DENY\s+DENY\s+.*pass/);
    expect(fixed.code).toBe(0);
  });

  it('a failing case outranks an unparsable one, as findings outrank parse errors in analyze (79 over 65)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'policy.yaml'), policy('principals', 'methods'));
    writeFileSync(
      join(dir, 'cases.yaml'),
      `${CASES}- name: wrong expectation\n  destination: { namespace: shop }\n  expect: allow\n- name: typo\n  destination: { namespace: shop }\n  reqest: {}\n`,
    );
    const r = mesh(['authz', 'test', '-f', join(dir, 'policy.yaml'), '--cases', join(dir, 'cases.yaml')]);
    expect(r.stderr).toContain('unknown key "reqest"');
    expect(r.stdout).toMatch(/wrong expectation\s+ALLOW\s+DENY\s+.*FAIL/);
    expect(r.code).toBe(79);
  });

  it('a policy path that does not exist is exit 66, as in analyze', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cases.yaml'), CASES);
    const r = mesh(['authz', 'test', '-f', join(dir, 'nope'), '--cases', join(dir, 'cases.yaml')]);
    expect(r.stderr).toContain(`error: ${join(dir, 'nope')}: no such file or directory`);
    expect(r.code).toBe(66);
  });
});

describe('usage errors', () => {
  it('read the same at every depth: `Error: …`, a hint, exit 64', () => {
    for (const args of [
      ['analyze', '--bogus'],
      ['bogus'],
      ['pc', 'bogus'],
      ['pc', 'cluster', '--bogus'],
      ['pc', 'eds', '--bogus'],
      ['authz', 'test', '-f', 'x.yaml'],
      ['analyze', '-o', 'xml', 'x.yaml'],
      ['uninstall', '--purge', '-f', 'iop.yaml'],
    ]) {
      const r = mesh(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toMatch(/^Error: [^\n]+\nHint: [^\n]+\n$/);
    }
  });
});

describe('names the API server could never hold', () => {
  // Was: `pc cluster 'catalog-0.shop?x=1'` asked for namespace `shop?x=1` without a word, `%2e%2e.shop`
  // came back from the API server as exit 1, `-n 'a/b'` reached the server as a path. No cluster is
  // needed to refuse them: the kubeconfig here does not exist.
  const kubeconfig = ['--kubeconfig', '/nonexistent/kubeconfig'];
  it('a bad -n or <name>.<namespace> is a usage error before any request (exit 64)', () => {
    const cases: Array<[string[], string]> = [
      [
        ['pc', 'cluster', 'catalog-0.shop?x=1'],
        'Error: invalid namespace "shop?x=1" in "catalog-0.shop?x=1"',
      ],
      [['pc', 'cluster', '%2e%2e.shop'], 'Error: invalid name "%2e%2e" in "%2e%2e.shop"'],
      [['pc', 'cluster', 'deploy/Web.shop'], 'Error: invalid name "Web" in "deploy/Web.shop"'],
      [['pc', 'cluster', 'catalog-0', '-n', 'shop?x=1'], 'Error: invalid namespace "shop?x=1"'],
      [['authz', 'check', 'catalog-0', '-n', 'a/b'], 'Error: invalid namespace "a/b"'],
      [['certs', '-n', 'shop', '-n', '..'], 'Error: invalid namespace ".."'],
      [['drift', '-n', 'Shop'], 'Error: invalid namespace "Shop"'],
      [['proxy-status', '-n', 'x'.repeat(64)], `Error: invalid namespace "${'x'.repeat(64)}"`],
      [['analyze', '-n', 'bad_ns', 'README.md'], 'Error: invalid namespace "bad_ns"'],
    ];
    for (const [args, line] of cases) {
      const r = mesh([...args, ...kubeconfig]);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toBe(
        `${line}\nHint: ${
          line.includes('invalid name "')
            ? 'a name is lower-case letters, digits, "-" and "."; <name>.<namespace> splits at the last dot'
            : 'a namespace is lower-case letters, digits and "-", starting and ending with a letter or digit'
        }\n`,
      );
    }
  });
});

describe('impersonation flags (--as, --as-group, --as-uid) are checked before any request', () => {
  it('a group or UID without --as, an empty --as, or several groups: exit 64', () => {
    const cases: Array<[string[], string]> = [
      [
        ['certs', '--as-group', 'devs'],
        'Error: --as-group and --as-uid need --as (the user to impersonate)\n',
      ],
      [
        ['pc', 'cluster', 'x', '--as-uid', '42'],
        'Error: --as-group and --as-uid need --as (the user to impersonate)\n',
      ],
      [['analyze', '--as', ''], 'Error: --as needs a user name\n'],
      [
        ['proxy-status', '--as', 'jane', '--as-group', 'a', '--as-group', 'b'],
        'Error: give at most one --as-group\n',
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = mesh([...args, '--kubeconfig', '/nonexistent/kubeconfig']);
      expect({ code: r.code, stderr: r.stderr }, args.join(' ')).toEqual({ code: 64, stderr });
    }
  });
});
