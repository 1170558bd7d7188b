/**
 * `-o yaml` writes the findings itself where it knows the yaml library's text (src/render/yaml-flat.ts): a
 * report of a million findings took 81 s through the library. Whatever it writes must be the library's text
 * byte for byte, and whatever it does not know it must leave to the library.
 */
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { flatItem, flatScalar } from '../../../src/render/yaml-flat.js';
import { yamlChunks } from '../../../src/render/findings.js';

/** The library's text of a record as an element of a list under a key, without the `key:` line. */
function library(record: Record<string, unknown>): string {
  const text = stringify({ findings: [record] }, { lineWidth: 0 });
  return text.slice(text.indexOf('\n') + 1);
}

function flat(record: unknown): string | undefined {
  const out: string[] = [];
  return flatItem(record, out) ? out.join('') : undefined;
}

/** Strings that YAML reads as something else, or that need quotes, next to ones that do not. */
const TRICKY = [
  '',
  ' ',
  'a',
  'a b',
  'null',
  'Null',
  'NULL',
  'nULL',
  '~',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '0',
  '1',
  '-1',
  '+1',
  '007',
  '0x1F',
  '0o17',
  '1e3',
  '1.5',
  '.5',
  '.inf',
  '-.inf',
  '.nan',
  '.NaN',
  'NaN',
  'Infinity',
  '---',
  '...',
  '--- a',
  '- a',
  '-a',
  '? a',
  '?a',
  ':a',
  'a:',
  'a: b',
  'a:b',
  'https://x.example/p',
  'a #b',
  'a#b',
  '#a',
  'a ',
  ' a',
  '<<',
  '=',
  '[a]',
  'spec.http[0].route[1].destination.host',
  '{a}',
  'a, b',
  '*a',
  '&a',
  '!a',
  '%a',
  '@a',
  '`a',
  '|',
  '>',
  'a|b',
  'say "hi"',
  "it's",
  'it\'s "x"',
  'Referenced host not found: "reviews"',
  'a\\b',
  'tab\there',
  'line\nbreak',
  'é',
  'del\u007f',
  '\u2028',
];

describe('the flat YAML writer', () => {
  it('writes each string as the library does, or leaves it to the library', () => {
    for (const s of TRICKY) {
      const shown = flatScalar(s);
      if (shown === undefined) continue;
      expect(`  - v: ${shown}\n`, JSON.stringify(s)).toBe(library({ v: s }));
      expect(parse(`v: ${shown}`), JSON.stringify(s)).toEqual({ v: s });
    }
  });

  it('writes generated records byte for byte as the library does', () => {
    const char = fc.constantFrom(...'aZ09 :#-?.,[]{}&*!|>\'"%@`~+<=/\\_\teé\n\u007f'.split(''));
    const text = fc.oneof(
      fc.constantFrom(...TRICKY),
      fc.stringMatching(/^.{0,12}$/),
      fc.string({ unit: char, maxLength: 12 }),
    );
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.constantFrom(-0, 0.5, Number.MAX_SAFE_INTEGER + 2, true, false, null, undefined),
    );
    const key = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom('code', 'message', 'line', '_k') },
      fc.constantFrom('null', 'a b', '1', 'x-y', 'True'),
    );
    let written = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (record) => {
        const mine = flat(record);
        if (mine === undefined) return;
        written++;
        expect(mine).toBe(library(record));
      }),
      { numRuns: 20000 },
    );
    // many records are written here, not all left to the library
    expect(written).toBeGreaterThan(1000);
  });

  it('writes a typical finding itself; a nested or non-ASCII one is left to the library', () => {
    const finding = {
      code: 'IST0101',
      level: 'Error',
      origin: 'VirtualService bookinfo/ratings',
      message: 'Referenced host not found: "rating"',
      analyzer: 'virtualservice.DestinationHostAnalyzer',
      documentationUrl: 'https://github.com/mesh-cli/mesh/blob/main/docs/codes/ist0101.md',
      kind: 'VirtualService',
      namespace: 'bookinfo',
      name: 'ratings',
      file: 'examples/bookinfo/40-virtualservices.yaml',
      line: 63,
      column: 13,
      path: 'spec.http[0].route[0].destination.host',
    };
    expect(flat(finding)).toBe(library(finding));
    expect(flat({ ...finding, name: 'rätings' })).toBeUndefined();
    expect(flat({ ...finding, related: ['a'] })).toBeUndefined();
    expect(flat({})).toBeUndefined();
  });

  it('gives the library’s text of a report mixing both kinds of findings', async () => {
    const plain = (i: number) => ({ code: 'IST0101', message: `host ${i}: "h${i}"`, line: i });
    const findings = Array.from({ length: 2000 }, (_, i) =>
      i % 7 === 0
        ? { ...plain(i), message: `it's\nline ${i}` }
        : i % 11 === 0
          ? { ...plain(i), n: { i } }
          : plain(i),
    );
    const report = { apiVersion: 'mesh/v1', findings, problems: [], summary: { total: findings.length } };
    const text = [...(await yamlChunks(report, 3))].join('');
    // the library alone (its text of the line-broken message is the one `yamlChunks` keeps on one line)
    expect(parse(text)).toEqual(report);
    const without = { ...report, findings: findings.filter((f) => !f.message.includes('\n')) };
    expect([...(await yamlChunks(without, 3))].join('')).toBe(stringify(without, { lineWidth: 0 }));
  });
});
