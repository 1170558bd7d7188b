import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests, parseManifestText } from '../../../src/manifests/load.js';
import { splitDocuments } from '../../../src/manifests/split.js';
import { positionOf } from '../../../src/manifests/positions.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

function parse(text: string, file = 'in.yaml') {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, resources, problems);
  return { resources, problems };
}

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
    - destination:
        host: ratings
`;

describe('document splitting', () => {
  it('reports the first non-blank line of each document, comments included', () => {
    const chunks = splitDocuments('---\n\n# c\nkind: A\n---\nkind: B\n...\n---   \n\n');
    expect(chunks.filter((c) => !c.empty).map((c) => c.startLine)).toEqual([3, 6]);
  });
  it('starts a document after its bare --- line, and keeps columns of content on the marker line', () => {
    const [, bare, inline] = splitDocuments('a: 1\n--- \r\nkind: B\n--- |\n  text\n');
    expect(bare).toMatchObject({ text: 'kind: B\n', lineOffset: 2, startLine: 3, empty: false });
    expect(inline).toMatchObject({ text: '    |\n  text\n', lineOffset: 3, startLine: 4, empty: false });
  });
  it('does not split on --- inside an indented block scalar', () => {
    const chunks = splitDocuments('a: |\n  ---\n  x\nb: 1\n');
    expect(chunks).toHaveLength(1);
  });
});

describe('loading manifests', () => {
  it('keeps file, document index and start line of every resource', () => {
    const { resources } = parse(
      `${VS}---\n# second\n${VS.replace('reviews\n  namespace', 'other\n  namespace')}`,
    );
    expect(resources.map((r) => [r.name, r.origin.docIndex, r.origin.line])).toEqual([
      ['reviews', 0, 1],
      ['other', 1, 15],
    ]);
    expect(resources[0]!.key).toBe('networking.istio.io/VirtualService');
  });

  it('locates a field path at its own line and column', () => {
    const { resources } = parse(`# header\n${VS}`);
    const r = resources[0]!;
    expect(positionOf(r, 'spec.http[0].route[1].destination.host')).toEqual({ line: 14, column: 9 });
    expect(positionOf(r, 'metadata.name')).toEqual({ line: 5, column: 3 });
    // A path that does not exist falls back to its deepest existing ancestor.
    expect(positionOf(r, 'spec.http[0].route[7]')?.line).toBe(10);
  });

  it('expands every item of a kind: List and locates each item', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\n- apiVersion: foo.example/v1\n  kind: Unknown\n  metadata: {name: u}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b, namespace: x}\n`;
    const { resources, problems } = parse(list);
    expect(problems).toEqual([]);
    expect(resources.map((r) => r.name)).toEqual(['a', 'u', 'b']);
    expect(positionOf(resources[2]!, '')?.line).toBe(10);
  });

  it('reports a List whose items are not objects instead of passing over them, and keeps the good items', () => {
    const { resources, problems } = parse(
      `apiVersion: v1\nkind: List\nitems: oops\n---\napiVersion: v1\nkind: List\nitems:\n- 5\n- {kind: Service}\n- {apiVersion: v1, kind: 7}\n- {apiVersion: v1, kind: List, items: {a: 1}}\n- {apiVersion: v1, kind: Service, metadata: {name: kept}}\n`,
    );
    expect(resources.map((r) => r.name)).toEqual(['kept']);
    expect(problems.map((p) => `${p.severity} ${p.line}: ${p.message}`)).toEqual([
      'error 1: List items must be a sequence of objects, not a string',
      // each item's problem at the item's own line
      'error 8: List item 0 is the number 5, not a Kubernetes object',
      'error 9: List item 1 of kind Service has no apiVersion',
      'error 10: List item 2 has kind the number 7, not a string',
      'error 11: List item 3: List items must be a sequence of objects, not a mapping',
    ]);
  });

  it('reports an object without apiVersion and kind (a document with metadata, a List item) and passes over other documents with a note', () => {
    const { resources, problems } = parse(
      `metadata: {name: reviews, namespace: shop}\nspec:\n  hosts: [reviews]\n---\nlogLevel: info\n---\napiVersion: v1\nkind: List\nitems:\n- {metadata: {name: a}}\n- {apiVersion: v1, kind: Service, metadata: {name: kept}}\n`,
    );
    expect(resources.map((r) => r.name)).toEqual(['kept']);
    expect(problems.map((p) => `${p.severity} ${p.line}: ${p.message}`)).toEqual([
      'error 1: object has no apiVersion or kind',
      'note 5: skipped a document that is not a Kubernetes object (no apiVersion or kind)',
      'error 10: List item 0 has no apiVersion or kind',
    ]);
  });

  it("passes over mesh's own reports with a note: a JSON or YAML report written into the folder analyzed", () => {
    const { resources, problems } = parse(
      `apiVersion: mesh/v1\nkind: AnalysisReport\nversion: 1\nfindings: []\n---\napiVersion: mesh/v1\nkind: CertReport\nproxies: []\n---\napiVersion: v1\nkind: Service\nmetadata: {name: kept}\n`,
    );
    expect(resources.map((r) => r.name)).toEqual(['kept']);
    expect(problems.map((p) => `${p.severity} ${p.line}: ${p.message}`)).toEqual([
      "note 1: skipped mesh's own AnalysisReport (apiVersion mesh/v1), not a Kubernetes object",
      "note 6: skipped mesh's own CertReport (apiVersion mesh/v1), not a Kubernetes object",
    ]);
  });

  // `[{VirtualService…}, {VirtualService…}]` in a .json file (or a YAML document that is a list of objects)
  // was passed over with a note: '✔ No validation issues found', exit 0, none of its objects analyzed.
  it('reports a document that is a sequence of objects (kubectl and istioctl refuse it), not a note', () => {
    const vs = '{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"a"}}';
    const json = parse(`[${vs},${vs}]`, 'in.json');
    const yaml = parse(`${VS}---\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n`);
    const message =
      'a sequence of Kubernetes objects, not an object: write each as a document of its own (---) or as the items of a kind: List';
    expect(json.problems.map((p) => `${p.severity} ${p.line}: ${p.message}`)).toEqual([
      `error 1: ${message}`,
    ]);
    expect(yaml.problems.map((p) => `${p.severity} ${p.line}: ${p.message}`)).toEqual([
      `error 15: ${message}`,
    ]);
    expect(yaml.resources.map((r) => r.name)).toEqual(['reviews']);
    // a sequence that holds no object (a list of hooks, of strings) is still passed over with a note
    expect(parse('- id: trailing-whitespace\n- [1, 2]\n').problems.map((p) => p.severity)).toEqual(['note']);
  });

  it('says what kind and apiVersion are when they are not strings', () => {
    const { problems } = parse(
      'apiVersion: v1\nkind: 5\n---\napiVersion: 5\nkind: [a]\n---\napiVersion: v1\nkind: ""\n',
    );
    expect(problems.map((p) => p.message)).toEqual([
      'object has kind the number 5, not a string',
      'apiVersion and kind must be non-empty strings (apiVersion is the number 5, kind is a sequence)',
      'object has an empty kind',
    ]);
  });

  it('reports YAML syntax errors at file:line:col and keeps the other documents', () => {
    const { resources, problems } = parse(
      `${VS}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n---\n${VS}`,
    );
    expect(resources).toHaveLength(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', file: 'in.yaml', docIndex: 1 });
    expect(problems[0]!.line).toBeGreaterThanOrEqual(18);
    expect(problems[0]!.message).toMatch(/YAML syntax error/);
  });

  it('rejects duplicate keys as a parse error naming the line', () => {
    const { problems } = parse('apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n');
    expect(problems[0]!.message).toMatch(/duplicated mapping key/);
    expect(problems[0]!.line).toBe(5);
  });

  it('rejects duplicate keys in a JSON file as YAML does, naming the line, and not keys merely alike', () => {
    const dup = parse(
      '{"apiVersion": "v1", "kind": "Service",\n "metadata": {"name": "a",\n  "labels": {"x": "1"}, "name": "b"}}\n',
      'in.json',
    );
    expect(dup.resources).toEqual([]);
    expect(dup.problems).toEqual([
      {
        severity: 'error',
        file: 'in.json',
        docIndex: 0,
        line: 3,
        column: 25,
        message: 'JSON syntax error: duplicated key "name" in an object',
      },
    ]);
    // the same key in sibling objects, in an array's objects, and key-like text inside strings are no repeats
    const ok = parse(
      '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "labels": {"name": "x\\":", "k:": "\\"name\\" :"}},\n "spec": {"ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}]}}',
      'in.json',
    );
    expect(ok.problems).toEqual([]);
    expect(ok.resources.map((r) => r.metadata.labels)).toEqual([{ name: 'x":', 'k:': '"name" :' }]);
  });

  // What kubectl sends for these scalars (sigs.k8s.io/yaml v1.6.0's YAMLToJSON, Go's YAML 1.1 reader,
  // printed by a Go program against that module): a plain yes/on/y is a boolean there, 017 is octal.
  it('reads plain scalars as kubectl does (YAML 1.1 booleans and numbers); quoted ones and dates stay strings', () => {
    const kubectl: Array<[string, unknown]> = [
      ['yes', true],
      ['Yes', true],
      ['YES', true],
      ['on', true],
      ['ON', true],
      ['y', true],
      ['Y', true],
      ['no', false],
      ['NO', false],
      ['off', false],
      ['Off', false],
      ['n', false],
      ['N', false],
      ['True', true],
      ['FALSE', false],
      ['tRue', 'tRue'],
      ['yEs', 'yEs'],
      ['"yes"', 'yes'],
      ["'on'", 'on'],
      ['017', 15],
      ['0o17', 15],
      ['0O17', 15],
      ['08', 8],
      ['00.5', 0.5],
      ['0x_1F', 31],
      ['-0x1F', -31],
      ['0b101', 5],
      ['1_000', 1000],
      ['1__0', 10],
      ['1_', 1],
      ['_1', '_1'],
      ['+_1', 1],
      ['0_1', 1],
      ['1_0.5', 10.5],
      ['0.1_2', 0.12],
      ['1_e3', 1000],
      ['5.', 5],
      ['.5', 0.5],
      ['._5', '._5'],
      ['+.5', 0.5],
      ['1e3.5', '1e3.5'],
      ['12e', '12e'],
      ['0xg', '0xg'],
      ['0b2', '0b2'],
      ['0o8', '0o8'],
      ['1:20', '1:20'],
      ['0x10000000000000000', '0x10000000000000000'],
      ['-0x8000000000000001', '-0x8000000000000001'],
      ['2024-01-01', '2024-01-01'],
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
      ['~', null],
      ['Null', null],
      ['=', '='],
      ['-.', '-.'],
      ['v1', 'v1'],
      ['1.20', 1.2],
      ['10.0.0.1', '10.0.0.1'],
    ];
    const text = kubectl.map(([v], i) => `  k${i}: ${v}`).join('\n');
    // the flow style is read by the fast parser and a tab sends the document to js-yaml: both read the same
    for (const doc of [
      text,
      `${text}\n  tab:\t1`,
      `${text}\n  flow: [${kubectl.map(([v]) => v).join(', ')}]`,
    ]) {
      const { problems, resources } = parse(
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n${doc}\n`,
      );
      expect(problems).toEqual([]);
      const data = resources[0]!.body.data;
      expect(kubectl.map((_, i) => data[`k${i}`])).toEqual(kubectl.map(([, want]) => want));
      if (data.flow) expect(data.flow).toEqual(kubectl.map(([, want]) => want));
    }
    // keys too: `on:` is the key "true", `017:` the key "15"
    const keys = parse(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  on: a\n  017: b\n  "on": c\n',
    );
    expect(keys.resources[0]!.body.data).toEqual({ true: 'a', 15: 'b', on: 'c' });
  });

  it("reads YAML merge keys as Kubernetes and istioctl do: merged, the mapping's own keys first", () => {
    const { problems, resources } = parse(
      [
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: {name: dr, namespace: default}',
        'spec:',
        '  host: reviews',
        '  trafficPolicy: &tp',
        '    tls: {mode: ISTIO_MUTUAL}',
        '    loadBalancer: {simple: ROUND_ROBIN}',
        '  subsets:',
        '  - name: v1',
        '    trafficPolicy:',
        '      <<: *tp',
        '      loadBalancer: {simple: LEAST_REQUEST}',
        '  - name: v2',
        '    trafficPolicy: {<<: [*tp, {connectionPool: {tcp: {maxConnections: 1}}}]}',
        '  - name: v3',
        '    labels: {"<<": quoted}',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(resources[0]!.spec.subsets).toEqual([
      {
        name: 'v1',
        trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, loadBalancer: { simple: 'LEAST_REQUEST' } },
      },
      {
        name: 'v2',
        trafficPolicy: {
          tls: { mode: 'ISTIO_MUTUAL' },
          loadBalancer: { simple: 'ROUND_ROBIN' },
          connectionPool: { tcp: { maxConnections: 1 } },
        },
      },
      // a quoted "<<" is an ordinary key
      { name: 'v3', labels: { '<<': 'quoted' } },
    ]);
  });

  it('separates documents without apiVersion/kind (notes) from half-typed objects (errors)', () => {
    const { problems, resources } = parse(
      'foo: bar\n---\nkind: Service\nmetadata: {name: a}\n---\n- 1\n- 2\n',
    );
    expect(resources).toHaveLength(0);
    expect(problems.map((p) => p.severity)).toEqual(['note', 'error', 'note']);
    expect(problems[1]!.message).toMatch(/no apiVersion/);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill('*' + String.fromCharCode(96 + i))
          .join(', ')}]`,
      );
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${bomb.map((l) => '  ' + l).join('\n')}\n`;
    const { problems, resources } = parse(text);
    expect(resources).toHaveLength(0);
    expect(problems[0]!.message).toMatch(/aliases/);
  });

  it('refuses documents that aliases nest too deeply, though each line nests little', () => {
    // 40 levels anchored, aliased 40 levels down, and that again: 120 levels
    const open = '['.repeat(40);
    const close = ']'.repeat(40);
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  a: &a ${open}1${close}\n  b: &b ${open}*a${close}\n  c: ${open}*b${close}\n`;
    const { problems, resources } = parse(text);
    expect(resources).toHaveLength(0);
    expect(problems).toMatchObject([{ severity: 'error', line: 1 }]);
    expect(problems[0]!.message).toMatch(/^document nests mappings and sequences more than 100 levels deep/);
    // the same anchors aliased once stay within the limit and are read
    const shallow = parse(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata:\n  a: &a ${open}1${close}\n  b: *a\n`,
    );
    expect(shallow.problems).toEqual([]);
    expect(shallow.resources[0]!.body.data.b).toBe(shallow.resources[0]!.body.data.a);
  });

  it('reports a document nested too deeply as an error at its line, without crashing', () => {
    const levels = Array.from({ length: 5000 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`).join('\n');
    const { problems, resources } = parse(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n${levels}\n${VS.replace(/^/, '---\n')}`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', line: 106 });
    expect(problems[0]!.message).toMatch(/^document nests mappings and sequences more than 100 levels deep/);
    expect(resources.map((r) => r.name)).toEqual(['reviews']);
  });

  it('reads JSON files and reports JSON syntax errors with line and column', () => {
    const ok = parse('{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}', 'x.json');
    expect(ok.resources[0]!.name).toBe('s');
    const bad = parse('{\n  "apiVersion": "v1",\n  "kind": }\n', 'x.json');
    expect(bad.problems[0]).toMatchObject({ severity: 'error', line: 3, column: 11 });
  });

  it('walks folders recursively, skips other extensions, refuses binary and oversized files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-load-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'vs.yaml'), VS);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, 'bin.yaml'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(join(dir, 'big.yml'), 'a: ' + 'x'.repeat(2048));
    writeFileSync(join(dir, 'empty.yaml'), '');
    const res = await loadManifests([dir, join(dir, 'missing.yaml')], { maxFileBytes: 1024 });
    expect(res.resources.map((r) => r.name)).toEqual(['reviews']);
    const msgs = res.problems.map((p) => `${p.file.replace(dir, '')}: ${p.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/bin\.yaml: binary file/),
        expect.stringMatching(/big\.yml: file is .* over the .* limit/),
        expect.stringMatching(/missing\.yaml: no such file/),
      ]),
    );
    expect(msgs.some((m) => m.includes('notes.txt'))).toBe(false);
  });

  it('reads UTF-16 files with a byte order mark (as Windows PowerShell writes them) and names the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-load-'));
    const bom = { le: [0xff, 0xfe], be: [0xfe, 0xff] } as const;
    const utf16 = (order: 'le' | 'be', text: string) => {
      const units = Buffer.from(text, 'utf16le');
      return Buffer.concat([Buffer.from(bom[order]), order === 'le' ? units : units.swap16()]);
    };
    writeFileSync(join(dir, 'le.yaml'), utf16('le', VS));
    writeFileSync(join(dir, 'be.yaml'), utf16('be', VS.replace('reviews\n', 'ratings\n')));
    writeFileSync(
      join(dir, 'le.json'),
      utf16('le', JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'é' } })),
    );
    writeFileSync(join(dir, 'nobom.yaml'), Buffer.from(VS, 'utf16le'));
    const res = await loadManifests([dir]);
    expect(res.resources.map((r) => `${r.origin.file.replace(dir, '')} ${r.name}`).sort()).toEqual([
      '/be.yaml ratings',
      '/le.json é',
      '/le.yaml reviews',
    ]);
    const le = res.resources.find((r) => r.origin.file.endsWith('le.yaml'))!;
    expect(positionOf(le, 'spec.http[0].route[1].destination.host')?.line).toBe(13);
    expect(res.problems).toEqual([
      {
        severity: 'error',
        file: join(dir, 'nobom.yaml'),
        message: 'UTF-16 text without a byte order mark, not a manifest: save it as UTF-8',
      },
    ]);
  });

  it('says, as a warning that counts as no parse error, when a file named on the command line is skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-load-'));
    writeFileSync(join(dir, 'vs.txt'), VS);
    const res = await loadManifests([join(dir, 'vs.txt')]);
    expect(res.resources).toEqual([]);
    expect(res.problems).toEqual([
      {
        severity: 'warning',
        file: join(dir, 'vs.txt'),
        message: 'skipped: recognised file extensions are .yaml, .yml and .json',
        passedOver: true,
      },
    ]);
  });

  it('reads stdin for "-"', async () => {
    const res = await loadManifests(['-'], { stdin: VS });
    expect(res.resources[0]!.origin.file).toBe('-');
  });
});
