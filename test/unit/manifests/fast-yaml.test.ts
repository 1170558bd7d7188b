import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import jsYaml from 'js-yaml';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { allPaths, realManifestFiles } from '../../support/manifests.js';
import { fastLoad, fastLocate, UNSUPPORTED } from '../../../src/manifests/fast-yaml.js';
import { KUBE_YAML_SCHEMA } from '../../../src/manifests/yaml-schema.js';
import { parsedPositionOf } from '../../../src/manifests/positions.js';
import type { DocSource } from '../../../src/manifests/types.js';
import { splitDocuments } from '../../../src/manifests/split.js';

/** js-yaml's reading of a document (the loader's schema), or an `error` marker. */
function reference(text: string): { value?: unknown; error?: string } {
  try {
    return { value: jsYaml.load(text, { schema: KUBE_YAML_SCHEMA }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The contract: the fast parser returns exactly js-yaml's value, or gives the document to js-yaml. */
function expectAgrees(text: string): boolean {
  const fast = fastLoad(text);
  const ref = reference(text);
  if (fast === UNSUPPORTED) return false;
  expect(ref.error, `fast parser accepted YAML that js-yaml rejects:\n${text}`).toBeUndefined();
  expect(fast, text).toStrictEqual(ref.value);
  return true;
}

describe('fast YAML parser', () => {
  it('reads every real manifest document exactly as js-yaml does, and most of them itself', () => {
    const files = realManifestFiles();
    let docs = 0;
    let fast = 0;
    for (const file of files) {
      for (const chunk of splitDocuments(readFileSync(file, 'utf8'))) {
        if (chunk.empty) continue;
        docs++;
        if (expectAgrees(chunk.text)) fast++;
      }
    }
    expect(docs).toBeGreaterThan(500);
    // The point of the parser: real manifests rarely need the slow path.
    expect(fast / docs, `${fast} of ${docs}`).toBeGreaterThan(0.85);
  });

  it('handles the block styles manifests use', () => {
    const cases = [
      'a: 1\nb: two\nc:\n  d: [x, "y", \'z\']\n  e: {}\n  f: []\n',
      'spec:\n  ports:\n  - name: http\n    port: 80\n  -   name: grpc\n      port: 81\n',
      'list:\n    - a\n    -\n      b: 1\n    - # note\n      c: 2\n    -\n',
      'k: |\n  line one\n\n  line three\n    indented\nnext: v # comment\n',
      'k: |-\n  stripped\n\n\nnext: v\n',
      'q: \'it\'\'s\'\n"quoted key": "v: #1"\n',
      'n: null\nt: true\nf: False\nnum: 0x1F\nfl: 1.50\nneg: -3\nbig: 1e400\ns: 10s\nv: 1.2.3\ntilde: ~\nempty:\n',
      '80: port\n1.0: float key\ntrue: bool key\n',
      '# only a comment\nkey: value\n',
      '- 1\n- two\n- [a]\n',
      // what real repositories write: one-line flow collections, nested, and folded block scalars
      'metadata: {name: x, labels: {app: x, version: "v1"}}\nspec:\n  selector: {app: x}   # note\n',
      'hosts: [a, b]\nports:\n- {name: http, port: 8080, targetPort: 8080}\n- {name: tls, nums: [1, -2, ~]}\n',
      'r: [{source: {principals: ["cluster.local/ns/a/sa/b"]}}, {}, []]\n"k": {"q": \'it\'\'s\', 1: true}\n',
      'd: >-\n  folded over\n  two lines\n\n  and a paragraph\nnext: v\n',
      'd: >\n  kept newline\nargs:\n- |\n  listen: 8080\n',
      // anchors on values and aliases as values (shared labels are the common case)
      'metadata: {name: x, labels: &labels {app: x, version: v1}}\nspec:\n  template:\n    labels: *labels\n',
      'a: &x 1\nb: *x\nc: [*x, &y "two", *y]\nd: {k: *y}\n',
      'base: &base\n  port: 80\n  name: http\nports:\n- *base\n- &second\n  port: 81\n- *second\n',
      'seq: &s\n- 1\n- 2\nagain: *s\nnone: &n\nalso: *n\nlit: &l |\n  text\nl2: *l\n',
      'a: &a.b-c_1 # comment\n  x: 1\nb: *a.b-c_1 # comment\n',
    ];
    for (const text of cases) expect(expectAgrees(text), text).toBe(true);
    // It counts null values, so that schema validation can skip its null-stripping pass for none.
    const stats = { nulls: -1 };
    fastLoad('a:\nb: ~\nc: [null, x]\nd:\n- \n- 1\n', stats);
    expect(stats.nulls).toBe(4);
    fastLoad('a: 1\n', stats);
    expect(stats.nulls).toBe(0);
    // An alias gives the anchored value itself, as js-yaml does, and is counted (the loader bounds them).
    const aliasStats = { nulls: 0, aliases: 0 };
    const shared = fastLoad('a: &x {b: 1}\nc: *x\nd: [*x]\n', aliasStats) as Record<string, any>;
    expect(shared.c).toBe(shared.a);
    expect(shared.d[0]).toBe(shared.a);
    expect(aliasStats.aliases).toBe(2);
  });

  it('reads sequences nested in sequences, long ones too, and documents after them', () => {
    const long = Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 0
        ? `- [a${i}, b]\n`
        : i % 3 === 1
          ? `-\n  - x${i}\n  -\n    - y\n    - z\n`
          : `- k: [${i}]\n  l:\n  - m\n`,
    ).join('');
    expect(expectAgrees(`items:\n${long.replace(/^/gm, '  ').trimEnd()}\nafter: [1, 2]\n`)).toBe(true);
    // A document that bails out in the middle of a sequence leaves nothing behind for the next one.
    expect(fastLoad('a:\n- 1\n- !!str 2\n')).toBe(UNSUPPORTED);
    expect(expectAgrees('b:\n- 3\n- [4, 5]\nc: [6]\n')).toBe(true);
  });

  it('gives everything outside its subset to js-yaml', () => {
    const cases = [
      'a: *x\n', // an alias to no anchor (js-yaml reports it)
      'a: [*x]\nb: &x 1\n', // an alias ahead of its anchor
      '&x a: 1\n', // an anchor on a key
      '- &a k: v\n', // an anchor on the key of a compact mapping
      'a: &x{b: 1}\n', // no blank after the anchor name
      'a: [&x, b]\n', // an anchored empty node
      'a: &x &y 1\n', // two anchors
      'a: &x *y\n', // an anchored alias
      'a: *x y\n', // text after an alias
      'a: &x:y 1\n', // an anchor name with characters js-yaml allows and this parser leaves to it
      'a: !!str 1\n', // tags
      'a: >\n  folded\n    more indented\n', // folded scalar with a more-indented line
      'a: [b,\n  c]\n', // flow collection over several lines
      'a: {b}\n', // flow mapping key without value
      'a: [b, ]\n', // trailing comma
      'a: plain\n  continued\n', // multi-line plain scalar
      'a: "esc\\n"\n', // escapes
      'a:\tb\n', // tabs
      'a: b\r\n', // CRLF
      'a: é\n', // non-ASCII
      'a: 1\na: 2\n', // duplicate key (js-yaml reports it)
      '{"a": 1}\n', // JSON
      'a: {b: c:d}\n', // colon in a flow plain scalar
      '  a: 1\n', // indented root
      'a: b: c\n', // error
      '- - a\n', // nested inline sequence
      '<<: {}\n', // merge key
      'constructor: x\n', // a name Object.prototype has
      'a: .inf\n', // no JSON form: json-form.ts names it
      'a: [1, .NaN]\n',
      '~: x\n', // null keys, no JSON form either
      'a: {null: 1}\n',
      'a: |2\n   x\n', // indentation indicator
      'a: |\n\n  x\n', // leading blank line in a block scalar
      'a: |\n  x', // unterminated last line
      Array.from({ length: 60 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n', // deep nesting
    ];
    for (const text of cases) expect(fastLoad(text), text).toBe(UNSUPPORTED);
  });

  // Values built from the scalars that make YAML subtle: words js-yaml resolves, indicators, quotes.
  const trickyString = fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      'null',
      'Null',
      '~',
      'true',
      'FALSE',
      'yes',
      '1',
      '-1',
      '0x1F',
      '0o17',
      '1e3',
      '.inf',
      '.NaN',
      '1.2.3',
      '10s',
      'a: b',
      'a:b',
      'x #y',
      'x#y',
      '- x',
      '-x',
      "it's",
      'say "hi"',
      '[a]',
      '{b}',
      '&a',
      '*a',
      '!t',
      '|',
      '>',
      '%x',
      '@x',
      'a\nb',
      'trailing ',
      ' leading',
      '__proto__',
      '<<',
      'café',
    ),
    fc.stringMatching(/^[a-z][a-z0-9./-]{0,12}$/),
  );
  const scalar = fc.oneof(
    trickyString,
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(trickyString, tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  const rootMap = fc.dictionary(trickyString, value, { minKeys: 1, maxKeys: 5 });
  // The same object or array under several keys: js-yaml's dump writes it once with an anchor (`&ref_0`)
  // and then as aliases, as hand-written manifests share labels.
  const sharingMap = fc
    .tuple(
      rootMap,
      fc.oneof(
        fc.dictionary(trickyString, value, { minKeys: 1, maxKeys: 3 }),
        fc.array(value, { minLength: 1, maxLength: 3 }),
      ),
      fc.array(fc.constantFrom('s1', 's2', 'nested'), { minLength: 2, maxLength: 3 }),
    )
    .map(([root, shared, keys]) => {
      const out: Record<string, unknown> = { ...root };
      for (const k of keys) {
        if (k === 'nested') out.nested = { inner: shared, list: [shared] };
        else out[k] = shared;
      }
      return out;
    });

  function dumps(v: unknown): string[] {
    const out: string[] = [];
    for (const opts of [
      {},
      { indent: 4 },
      { flowLevel: 2 },
      { flowLevel: 0 },
      { lineWidth: 16 },
      { noArrayIndent: true },
      { quotingType: '"' as const },
    ])
      out.push(jsYaml.dump(v, opts));
    out.push(stringify(v), stringify(v, { indentSeq: false }), stringify(v, { indent: 3 }));
    return out;
  }

  it('agrees with js-yaml on thousands of generated documents in several dump styles', () => {
    let fast = 0;
    let withAliases = 0;
    fc.assert(
      fc.property(fc.oneof(rootMap, sharingMap), (v) => {
        for (const text of dumps(v)) {
          if (!expectAgrees(text)) continue;
          fast++;
          if (/\*ref_0\b/.test(text)) withAliases++;
        }
      }),
      { numRuns: 600, seed: 20261125 },
    );
    expect(fast).toBeGreaterThan(1000);
    // js-yaml's dumps of shared values (`&ref_0` … `*ref_0`) are read here too, not only by js-yaml
    expect(withAliases).toBeGreaterThan(200);
  });

  it('locates every field of generated documents where the full YAML parser does', () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.oneof(rootMap, sharingMap), (v) => {
        for (const text of dumps(v)) {
          const value = fastLoad(text);
          if (value === UNSUPPORTED) continue;
          const src: DocSource = { text, lineOffset: 0, prefix: [] };
          for (const field of allPaths(value)) {
            // the field itself, and paths below it that do not exist (they point at the field)
            for (const path of [field, [...field, 'no-such-key'], [...field, 7]]) {
              const hit = fastLocate(text, path);
              if (hit === UNSUPPORTED) throw new Error('fastLocate declined a document fastLoad read');
              expect({ line: hit.line + 1, column: hit.column }, `${path.join('.')}\n${text}`).toEqual(
                parsedPositionOf(src, path),
              );
              compared++;
            }
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
    expect(compared).toBeGreaterThan(2000);
  });

  it('never accepts a mutated document js-yaml rejects, and reads the rest the same', () => {
    const edit = fc.record({
      at: fc.nat(),
      del: fc.nat({ max: 3 }),
      ins: fc.constantFrom(
        '',
        ' ',
        '  ',
        ':',
        ': ',
        '- ',
        '-',
        '#',
        ' #',
        '\n',
        '\n  ',
        '"',
        "'",
        '|',
        '|-',
        '[',
        ']',
        '{',
        '}',
        ',',
        'x',
        '&a ',
        '*a',
        '&b',
      ),
    });
    fc.assert(
      fc.property(
        fc.oneof(rootMap, sharingMap),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        (v, edits) => {
          let text = jsYaml.dump(v);
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.ins + text.slice(at + e.del);
          }
          expectAgrees(text);
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('locating findings on the items of long sequences', () => {
  const where = (text: string, path: Array<string | number>) => {
    const hit = fastLocate(text, path);
    return hit === UNSUPPORTED ? hit : { line: hit.line + 1, column: hit.column };
  };
  // one source per text: the full parser's tree is kept with it, not built again for each path
  const sources = new Map<string, { text: string; lineOffset: number; prefix: [] }>();
  const reference = (text: string, path: Array<string | number>) => {
    let src = sources.get(text);
    if (!src) sources.set(text, (src = { text, lineOffset: 0, prefix: [] }));
    return parsedPositionOf(src, path);
  };

  it('finds every item of a flow and a block sequence where the full parser does, in any order and past the end', () => {
    const n = 400;
    const names = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `"gw-${i}"` : `gw-${i}`));
    const text = [
      'spec:',
      `  gateways: [${names.join(', ')}]`,
      '  http:',
      ...Array.from({ length: n }, (_, i) => `  - name: r${i}\n    route:\n    - destination: {host: h${i}}`),
      '',
    ].join('\n');
    expect(fastLoad(text)).not.toBe(UNSUPPORTED);
    // a document's findings are located one after another, here from the last item back and then forward
    const order = [
      ...Array.from({ length: n + 2 }, (_, i) => n + 1 - i),
      ...Array.from({ length: n }, (_, i) => i),
    ];
    for (const i of order) {
      for (const path of [
        ['spec', 'gateways', i],
        ['spec', 'http', i, 'route', 0, 'destination', 'host'],
      ]) {
        expect(where(text, path), path.join('.')).toEqual(reference(text, path));
      }
    }
  });

  it('leaves to the full parser only the items after one it does not read', () => {
    // `b: c` is a one-pair mapping inside a flow sequence: the fast parser leaves that to js-yaml
    const text = 'spec:\n  hosts: [a, "x", b: c, d, e]\n';
    for (const i of [0, 1, 2])
      expect(where(text, ['spec', 'hosts', i])).toEqual(reference(text, ['spec', 'hosts', i]));
    expect(where(text, ['spec', 'hosts', 3])).toBe(UNSUPPORTED);
    expect(where(text, ['spec', 'hosts', 4])).toBe(UNSUPPORTED);
    // and then again in any order: what was read of the sequence is kept
    expect(where(text, ['spec', 'hosts', 1])).toEqual(reference(text, ['spec', 'hosts', 1]));
  });
});
