/** kube-inject on inputs a hand-edited or generated file can hold: kept byte for byte, or one clear error. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../support/cli.js';
import { DEPLOYMENTS, scratch } from './kube-inject-run.js';

const { file } = scratch('mesh-inject-input-');
const inject = (name: string, text: string) => runCli(['kube-inject', '-f', file(name, text)]);

describe('kube-inject keeps what it does not inject byte for byte', () => {
  it('flow mappings, comments, CRLF line endings, a BOM, `...` and comment-only documents', async () => {
    const others = [
      '\ufeff# services\r\napiVersion: v1\r\nkind: Service\r\nmetadata: {name: s}  # flow style\r\n',
      '---\r\n# nothing but a comment\r\n',
      '---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\ndata: {a: "1"}\r\n...\r\n',
    ].join('');
    const r = await inject('others.yaml', others);
    expect(r).toEqual({ code: 0, stdout: others, stderr: '' });
    const comments = await inject('comments.yaml', '---\n# c\n---\n');
    expect(comments.stdout).toBe('---\n# c\n---\n');
  });

  it('an injected document in between keeps its separator, its comments and the file line endings', async () => {
    const pod =
      'apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - {name: app, image: app:1}\r\n';
    const svc = 'apiVersion: v1\r\nkind: Service\r\nmetadata: {name: s}\r\n';
    const r = await inject('mixed.yaml', `${svc}---\r\n# the pod\r\n${pod}# after the pod\r\n---\r\n${svc}`);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${svc}---\r\n# the pod\r\napiVersion: v1\r\nkind: Pod\r\n`)).toBe(true);
    expect(r.stdout.endsWith(`# after the pod\r\n---\r\n${svc}`)).toBe(true);
    expect(r.stdout.replaceAll('\r\n', '')).not.toContain('\n');
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs[1].spec.containers.map((c: any) => c.name)).toEqual(['app', 'istio-proxy']);
  });

  it('kinds named like Object.prototype members are not workloads', async () => {
    for (const kind of ['constructor', 'toString', '__proto__']) {
      const text = `apiVersion: v1\nkind: ${kind}\nmetadata: {name: x}\n`;
      expect(await inject('kind.yaml', text)).toEqual({ code: 0, stdout: text, stderr: '' });
    }
  });
});

describe('kube-inject refuses a pod template it would have to mangle (exit 65, file and line)', () => {
  const cases: Array<[string, string, string]> = [
    [
      'containers: 5',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: 5\n',
      ':5: Pod p: spec.containers must be a list',
    ],
    [
      'a null container',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: x}\n      - null\n',
      ':9: Deployment d: spec.template.spec.containers[1] must be a mapping',
    ],
    [
      'initContainers as a map',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  initContainers: {a: 1}\n  containers: [{name: a, image: x}]\n',
      ':5: Pod p: spec.initContainers must be a list',
    ],
    [
      'annotations as a list',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: [a]\nspec: {containers: [{name: a, image: x}]}\n',
      ':5: Pod p: metadata.annotations must be a mapping',
    ],
    [
      'metadata as a number',
      'apiVersion: v1\nkind: Pod\nmetadata: 5\nspec: {containers: [{name: a, image: x}]}\n',
      ':3: Pod: metadata must be a mapping',
    ],
    [
      'a template as a number',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: 5}\n',
      ':4: Deployment d: spec.template must be a mapping',
    ],
    [
      "a List's CronJob with a list for jobTemplate",
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: c}\n  spec:\n    jobTemplate: [a]\n',
      ':8: CronJob c: items[0].spec.jobTemplate must be a mapping',
    ],
    ['List items as a number', 'apiVersion: v1\nkind: List\nitems: 5\n', ':3: List: items must be a list'],
  ];
  it.each(cases)('%s', async (_name, text, message) => {
    const path = file('bad.yaml', text);
    const r = await runCli(['kube-inject', '-f', path]);
    expect(r).toEqual({ code: 65, stdout: '', stderr: `Error: ${path}${message}\n` });
  });

  it('an injector template that is empty, unparsable or of the wrong shape', async () => {
    const cases: Array<[string, string]> = [
      ['templates:\n  sidecar: ""\n', 'templates.sidecar: the document must be a mapping'],
      [
        'templates:\n  sidecar: "spec: {containers: 5}"\n',
        'templates.sidecar: spec.containers must be a list',
      ],
      ['templates: [\n', ':2: Flow sequence in block collection must be sufficiently indented'],
    ];
    for (const [text, message] of cases) {
      const path = file('injector.yaml', text);
      const r = await runCli(['kube-inject', '-f', DEPLOYMENTS, '--injectConfigFile', path]);
      expect(r.code).toBe(65);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toContain(
        `Error: ${path}${message.startsWith(':') ? '' : ': '}${message}`,
      );
    }
  });
});

describe('YAML aliases that expand without bound ("billion laughs")', () => {
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]']
    .concat('bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`))
    .join('\n');
  const refused = (file: string, line = '') =>
    `Error: ${file}${line}: Excessive alias count indicates a resource exhaustion attack\n`;

  it('in workloads, --valuesFile and an IstioOperator: exit 65 naming the file, not exit 1', async () => {
    const workloads = file(
      'laughs.yaml',
      `apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n${laughs.replace(/^/gm, '  ')}\n`,
    );
    expect(await runCli(['kube-inject', '-f', workloads])).toEqual({
      code: 65,
      stdout: '',
      stderr: refused(workloads, ':4'),
    });
    const values = file('values.yaml', `global:\n${laughs.replace(/^/gm, '  ')}\n`);
    expect(await runCli(['kube-inject', '-f', DEPLOYMENTS, '--valuesFile', values])).toEqual({
      code: 65,
      stdout: '',
      stderr: refused(values),
    });
    const operator = file(
      'iop.yaml',
      `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  values:\n${laughs.replace(/^/gm, '    ')}\n`,
    );
    expect(await runCli(['manifest', 'generate', '-f', operator])).toEqual({
      code: 65,
      stdout: '',
      stderr: refused(operator),
    });
  });
});

describe("kube-inject -o FILE (istioctl's --output)", () => {
  const { dir, file } = scratch('mesh-inject-output-');
  it('writes what stdout would show; -o naming the -f file rewrites it in place', async () => {
    const expected = (await runCli(['kube-inject', '-f', DEPLOYMENTS])).stdout;
    expect(expected).toContain('istio-proxy');
    const out = join(dir, 'injected.yaml');
    expect(await runCli(['kube-inject', '-f', DEPLOYMENTS, '-o', out])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(readFileSync(out, 'utf8')).toBe(expected);
    const inPlace = file('in-place.yaml', readFileSync(DEPLOYMENTS, 'utf8'));
    expect((await runCli(['kube-inject', '-f', inPlace, '--output', inPlace])).code).toBe(0);
    expect(readFileSync(inPlace, 'utf8')).toBe(expected);
    expect(readdirSync(dir).sort()).toEqual(['in-place.yaml', 'injected.yaml']); // no temporary file left
  });

  it('a place it cannot write is one line, exit 1, and the input stays as it was', async () => {
    const input = file('keep.yaml', readFileSync(DEPLOYMENTS, 'utf8'));
    const missing = join(dir, 'no-such-dir', 'out.yaml');
    expect(await runCli(['kube-inject', '-f', input, '-o', missing])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: cannot write ${missing}: no such file or directory\n`,
    });
    const r = await runCli(['kube-inject', '-f', input, '-o', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: cannot write ${dir}: is a directory\n`);
    expect(readFileSync(input, 'utf8')).toBe(readFileSync(DEPLOYMENTS, 'utf8'));
    expect(readdirSync(dir).filter((f) => f.includes('.mesh-'))).toEqual([]);
  });
});
