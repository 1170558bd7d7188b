/**
 * kube-inject on YAML it cannot turn into Kubernetes objects faithfully: an unrendered Helm template,
 * nesting deeper than the limit analyze holds documents to, syntax errors. One line naming the file and
 * line, exit 65, nothing on stdout, and never a Node process warning.
 */
import { describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../support/cli.js';
import { DEPLOYMENTS, scratch } from './kube-inject-run.js';

const { file } = scratch('mesh-inject-refused-');

/** kube-inject with `args`, and the Node process warnings emitted meanwhile (they are emitted on a later tick). */
async function run(args: string[]): Promise<CliResult & { warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const r = await runCli(['kube-inject', ...args]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { ...r, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

const refused = (path: string, message: string) => ({
  code: 65,
  stdout: '',
  stderr: `Error: ${path}${message}\n`,
  warnings: [],
});

const RENDER = 'render it first: helm template … | mesh kube-inject -f -';

describe('kube-inject refuses an unrendered Helm template', () => {
  it('`name: {{ .Values.name }}` (valid YAML: a mapping as a key): the file, the line, the field', async () => {
    const path = file(
      'helm.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers: [{name: c, image: i}]\n',
    );
    expect(await run(['-f', path])).toEqual(
      refused(path, `:4: metadata.name is {{ .Values.name }}, an unrendered template: ${RENDER}`),
    );
  });

  it('in a document kube-inject would pass through, and in a list item', async () => {
    const path = file(
      'svc.yaml',
      'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: {{ .Values.port }}\n',
    );
    expect(await run(['-f', path])).toEqual(
      refused(path, `:10: spec.ports[0].port is {{ .Values.port }}, an unrendered template: ${RENDER}`),
    );
  });

  it('template actions that are not even valid YAML get the same advice after the syntax error', async () => {
    const path = file(
      'if.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels:\n    {{- include "x.labels" . | nindent 4 }}\n',
    );
    const r = await run(['-f', path]);
    expect(r).toMatchObject({ code: 65, stdout: '', warnings: [] });
    expect(r.stderr).toMatch(
      new RegExp(`^Error: ${path}:6: .* \\(an unrendered template\\? ${RENDER}\\)\\n$`),
    );
  });

  it('a mapping as a key that is no template is refused too, without a Node warning', async () => {
    const path = file(
      'key.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  ? [a, b]\n  : c\n',
    );
    expect(await run(['-f', path])).toEqual(
      refused(path, ':5: data has a sequence as a key, which a Kubernetes object cannot hold'),
    );
  });

  it('in --injectConfigFile: refused, without a Node warning', async () => {
    const path = file('injector.yaml', 'templates:\n  sidecar: x\nextra:\n  name: {{ .Values.name }}\n');
    expect(await run(['-f', DEPLOYMENTS, '--injectConfigFile', path])).toEqual(
      refused(path, `:4: extra.name is {{ .Values.name }}, an unrendered template: ${RENDER}`),
    );
  });
});

describe('the other YAML files install and kube-inject read', () => {
  // --meshConfigFile, --valuesFile, -f IstioOperator, authz cases, the mesh config: the parser printed a
  // Node process warning ("Keys with collection values will be stringified …") for a mapping used as a key
  it('a mapping used as a key gets no Node warning (--meshConfigFile)', async () => {
    const path = file('mesh.yaml', 'a: {{ b }}\n');
    const r = await run(['-f', DEPLOYMENTS, '--meshConfigFile', path]);
    expect(r.warnings).toEqual([]);
  });
});

describe('kube-inject refuses nesting deeper than analyze allows (100 levels)', () => {
  const pod = (x: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: b}]\n${x}`;
  /** `x:` then `levels - 2` nested `a:` mappings under it (the document itself is level 1). */
  const block = (levels: number) => {
    let x = 'x:\n';
    for (let i = 1; i < levels - 1; i++) x += `${' '.repeat(i)}a:\n`;
    return pod(`${x}${' '.repeat(levels - 1)}a: 1\n`);
  };

  it('100 levels are injected', async () => {
    const r = await run(['-f', file('ok.yaml', block(100))]);
    expect(r).toMatchObject({ code: 0, stderr: '', warnings: [] });
    expect(r.stdout).toContain('istio-proxy');
  });

  it('101 levels in block style: the line and the path of the first one too deep', async () => {
    const path = file('deep.yaml', block(101));
    expect(await run(['-f', path])).toEqual(
      refused(
        path,
        ':106: document nests mappings and sequences more than 100 levels deep at x.a.a.a.a.a.a.a…; refused',
      ),
    );
  });

  it('nested deeper only once aliases are expanded: the line of the alias', async () => {
    const path = file(
      'alias.yaml',
      pod(`x: &x ${'['.repeat(60)}${']'.repeat(60)}\nw:\n  z: ${'['.repeat(40)}*x${']'.repeat(40)}\n`),
    );
    const r = await run(['-f', path]);
    expect(r).toMatchObject({ code: 65, stdout: '', warnings: [] });
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${path}:8: document nests mappings and sequences more than 100 levels deep at w\\.z\\[0\\]`,
      ),
    );
  });

  it('thousands of levels of flow sequences (the parser runs out of stack): the same message', async () => {
    const path = file('flow.yaml', pod(`x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`));
    expect(await run(['-f', path])).toEqual(
      refused(path, ':6: document nests mappings and sequences more than 100 levels deep; refused'),
    );
  });
});

describe('kube-inject YAML syntax errors are one line that ends with what is wrong', () => {
  it('no dangling colon: the column instead', async () => {
    const path = file('syntax.yaml', 'apiVersion: v1\nkind: Pod\nspec: [\n');
    expect(await run(['-f', path])).toEqual(
      refused(
        path,
        ':4: Flow sequence in block collection must be sufficiently indented and end with a ] at column 1',
      ),
    );
  });
});

describe('the other YAML files kube-inject and manifest generate read: syntax errors end the same way', () => {
  // an IstioOperator (-f), a values file and a mesh config file printed the parser's ` at line 2, column 1:`
  // (its excerpt cut off after the colon), and a values file's error lost the column
  const broken = 'a: b\nc: [1\n';
  const message =
    ':3: Flow sequence in block collection must be sufficiently indented and end with a ] at column 1';

  it('manifest generate -f, kube-inject --valuesFile and --meshConfigFile', async () => {
    const operator = file('operator.yaml', broken);
    expect(await runCli(['manifest', 'generate', '-f', operator])).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${operator}${message}\n`,
    });
    for (const flag of ['--valuesFile', '--meshConfigFile']) {
      const path = file(`${flag.slice(2)}.yaml`, broken);
      expect(await run(['-f', DEPLOYMENTS, flag, path]), flag).toEqual(refused(path, message));
    }
  });
});

// A document that was a list of Deployments came back as it was, uninjected, exit 0, without a word
// (istioctl refuses it: a sequence is no object).
describe('kube-inject refuses a document that is a list of objects', () => {
  it('YAML or JSON: the file and line, exit 65; a list of anything else still passes through', async () => {
    const deployment =
      '{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}}, ' +
      'template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}}';
    const message =
      ': a sequence of Kubernetes objects, not an object: write each as a document of its own (---) or as the items of a kind: List';
    const yaml = file(
      'seq.yaml',
      `apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n- ${deployment}\n`,
    );
    expect(await run(['-f', yaml])).toEqual(refused(yaml, `:5${message}`));
    const json = file(
      'seq.json',
      `[${JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })}]`,
    );
    expect(await run(['-f', json])).toEqual(refused(json, `:1${message}`));
    const other = file('hooks.yaml', '- id: trailing-whitespace\n- [1, 2]\n');
    expect(await run(['-f', other])).toMatchObject({
      code: 0,
      stdout: '- id: trailing-whitespace\n- [1, 2]\n',
    });
  });
});
