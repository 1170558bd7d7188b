import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTable, TabWriter } from '../../../src/render/tabwriter.js';

const reference = JSON.parse(readFileSync(join(import.meta.dirname, '../envoy/go-reference.json'), 'utf8'));

describe('TabWriter (Go text/tabwriter)', () => {
  it('pads columns to the widest cell plus padding and never pads the last cell', () => {
    expect(
      renderTable(
        [
          ['NAME', 'X'],
          ['a', 'longer'],
          ['bbb', ''],
        ],
        5,
      ),
    ).toBe('NAME     X\na        longer\nbbb      \n');
  });

  it('keeps trailing spaces when the last column is empty, as istioctl tables show', () => {
    expect(
      renderTable(
        [
          ['A', 'B', 'C'],
          ['x', 'y', ''],
        ],
        5,
      ),
    ).toBe('A     B     C\nx     y     \n');
  });

  it('counts runes, not bytes, for the width', () => {
    expect(
      renderTable(
        [
          ['é', 'x'],
          ['ab', 'y'],
        ],
        1,
      ),
    ).toBe('é  x\nab y\n');
  });

  it('ends a column block at a line with fewer cells (and flushes at single-cell lines)', () => {
    const w = new TabWriter({ padding: 1 });
    w.write('a\tb\tc\n');
    w.write('aaaa\tb\n');
    w.write('\n');
    w.write('x\ty\n');
    expect(w.toString()).toBe('a    b c\naaaa b\n\nx y\n');
  });

  it('rejects negative sizes and multi-character pad chars', () => {
    expect(() => new TabWriter({ padding: -1 })).toThrow(RangeError);
    expect(() => new TabWriter({ padchar: '--' })).toThrow(RangeError);
  });

  it('renderTable lays out tables exactly like the writer (fast path and fallbacks)', () => {
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const pool = ['', 'a', 'bb', 'cluster/x', 'é', '日本語', 'x y', 'outbound|80||a.b.svc.cluster.local'];
    // cells with control characters (rare: from inputs) are laid out as the writer lays out their escaped
    // text (`a\tb` as `a\\tb`): a tab or line break in a name never splits a cell or forges a row
    const rare = ['a\tb', 'two\nlines', 'v\vt', '😀', 'esc\u001b[2J', 'bell\u0007'];
    const escaped = (c: string) =>
      c.replace(
        /[\u0000-\u001f]/g,
        (x) => ({ '\t': '\\t', '\n': '\\n' })[x] ?? `\\x${x.charCodeAt(0).toString(16).padStart(2, '0')}`,
      );
    for (let t = 0; t < 400; t++) {
      if (t === 200) pool.push(...rare);
      const n = 1 + rnd(6);
      const rows = Array.from({ length: rnd(8) }, () =>
        Array.from({ length: n }, () => pool[rnd(pool.length)]!),
      );
      const padding = rnd(6);
      const w = new TabWriter({ padding });
      for (const r of rows) w.write(r.map(escaped).join('\t') + '\n');
      expect(renderTable(rows, padding)).toBe(w.toString());
    }
    // rows of different lengths go through the writer's column blocks
    expect(
      renderTable(
        [
          ['a', 'b', 'c'],
          ['dddd', 'e'],
        ],
        1,
      ),
    ).toBe('a    b c\ndddd e\n');
    // escaped there too
    expect(
      renderTable(
        [
          ['a\n', 'b', 'c'],
          ['d', 'e'],
        ],
        1,
      ),
    ).toBe('a\\n b c\nd   e\n');
  });

  // Go's reference cases without flags or escape bytes (the writer keeps only what commands use).
  const plain = reference.tabwriter.filter(
    (c: any) =>
      c.Flags === 0 && !c.Chunks.some((chunk: string) => Buffer.from(chunk, 'base64').includes(0xff)),
  );
  it(`reproduces Go's output byte for byte on ${plain.length} generated inputs`, () => {
    expect(plain.length).toBeGreaterThan(10);
    for (const c of plain) {
      const w = new TabWriter({
        minwidth: c.Minwidth,
        tabwidth: c.Tabwidth,
        padding: c.Padding,
        padchar: c.Padchar,
      });
      for (const chunk of c.Chunks) w.write(Buffer.from(chunk, 'base64'));
      expect(w.flush().toString('base64'), JSON.stringify(c)).toBe(c.Output);
    }
  });
});
