import { parseDocument, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { jsonIndex, jsonOffset, jsonValueAt } from '../../../src/manifests/json-positions.js';

type Path = Array<string | number>;

function allPaths(v: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => allPaths(x, [...path, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) allPaths(x, [...path, k], out);
  return out;
}

const value = {
  name: 'x',
  'a"b': { 'c\\d': [1, -2.5e3, true, null, '\u00e9 "q" [{'] },
  empty: { list: [], map: {} },
  '0': [[[], {}], [{ deep: [{ '': 'blank key' }] }]],
  list: Array.from({ length: 30 }, (_, i) => ({ i, s: `item ${i}` })),
};

describe('jsonValueAt', () => {
  it('is where the value at a path starts, as the full YAML parser finds it, in any layout', () => {
    let compared = 0;
    for (const indent of [0, 1, 2, '\t']) {
      const text = JSON.stringify(value, null, indent).replace(/\n/g, indent === 1 ? '\r\n' : '\n');
      const doc = parseDocument(text, { keepSourceTokens: false });
      const index = jsonIndex(text);
      for (const path of allPaths(value)) {
        const node = (path.length === 0 ? doc.contents : doc.getIn(path, true)) as Node;
        expect(jsonValueAt(index, path), `${indent} ${JSON.stringify(path)}`).toBe(node.range![0]);
        compared++;
      }
      // after a byte order mark, one further on
      const bom = jsonIndex(`\ufeff${text}`);
      for (const path of allPaths(value)) expect(jsonValueAt(bom, path)).toBe(jsonValueAt(index, path)! + 1);
    }
    expect(compared).toBeGreaterThan(400);
  });

  it('is undefined where the text holds no such value', () => {
    const index = jsonIndex(JSON.stringify(value, null, 2));
    for (const path of [
      ['nope'],
      ['list', 30],
      ['list', 'first'],
      ['name', 0],
      ['name', 'x'],
      ['empty', 'list', 0],
      ['empty', 'map', 'x'],
      [0], // a number is an item of a list, not the member "0"
      ['0', 1, 0, 'deep', 0, 'x'],
    ])
      expect(jsonValueAt(index, path), JSON.stringify(path)).toBeUndefined();
    expect(jsonValueAt(jsonIndex(''), [])).toBeUndefined();
    // not JSON at all (a YAML dump): no value under the root
    expect(jsonValueAt(jsonIndex('configs:\n- a: 1\n'), ['configs', 0])).toBeUndefined();
  });

  it('finds a key given twice where JSON.parse takes it from: its last occurrence', () => {
    const text = '{"a": {"b": 1}, "a": [10, 20], "\\u0061": {"c": 2}, "x": 3}';
    const index = jsonIndex(text);
    expect(jsonValueAt(index, ['a', 'c'])).toBe(text.lastIndexOf('2'));
    expect(jsonValueAt(index, ['a', 0])).toBeUndefined();
    expect(jsonValueAt(index, ['x'])).toBe(text.lastIndexOf('3'));
    // the same index answers jsonOffset: the key's quote rather than the value
    expect(jsonOffset(index, ['a', 'c'])).toBe(text.indexOf('"c"'));
  });

  it('finds the members of an object with many of them by name, escaped or given twice', () => {
    const members = Array.from(
      { length: 100 },
      (_, i) => `${i % 7 === 0 ? `"k\\u0065y-${i}"` : `"key-${i}"`}: "v-${i}"`,
    );
    const text = `{"m": {${[...members, '"key-3": "again"'].join(', ')}}}`;
    const index = jsonIndex(text);
    for (let i = 0; i < 100; i++) {
      const at = i === 3 ? text.indexOf('"again"') : text.indexOf(`"v-${i}"`);
      expect(jsonValueAt(index, ['m', `key-${i}`])).toBe(at);
      // the key's opening quote
      expect(jsonOffset(index, ['m', `key-${i}`])).toBe(text.lastIndexOf('"', text.lastIndexOf(':', at) - 2));
    }
    expect(jsonValueAt(index, ['m', 'key-100'])).toBeUndefined();
    expect(jsonOffset(index, ['m', 'key-100'])).toBe(text.indexOf('"m"'));
  });

  it('from `start`, reads only the value there: the rest of the text need not be JSON', () => {
    const text = '{"configs": [{"broken": [1,, }, {"x": [1, {"y": "z"}]}]';
    const start = text.indexOf('{"x"');
    const index = jsonIndex(text);
    expect(jsonValueAt(index, ['x', 1, 'y'], start)).toBe(text.indexOf('"z"'));
    expect(jsonValueAt(index, ['x', 2], start)).toBeUndefined();
    expect(jsonValueAt(index, [], start - 1)).toBe(start);
  });
});
