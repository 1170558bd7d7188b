import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUtf8, readInputText } from '../../../src/util/input.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Large inputs are decoded by TextDecoder, small ones by Buffer#toString: both must give the text
// `toString('utf8')` gives, whatever the bytes.
describe('decodeUtf8', () => {
  const big = (tail: number[]) => Buffer.concat([Buffer.alloc(70000, 0x61), Buffer.from(tail)]);
  const cases: Array<[string, number[]]> = [
    ['a byte order mark is kept', [0xef, 0xbb, 0xbf, 0x7b]],
    ['multi-byte characters', [...Buffer.from('é 日本 🚀')]],
    ['invalid and truncated sequences become U+FFFD', [0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x82, 0xf0, 0x9f]],
  ];
  for (const [name, tail] of cases) {
    it(`${name} (small and large inputs)`, () => {
      for (const buf of [Buffer.from(tail), big(tail), Buffer.concat([Buffer.from(tail), big([])])])
        expect(decodeUtf8(buf)).toBe(buf.toString('utf8'));
    });
  }

  it('reads a subarray, not the whole underlying buffer', () => {
    const whole = Buffer.from('xxhello world, this is the part that counts');
    const part = whole.subarray(2, 13);
    expect(decodeUtf8(part)).toBe('hello world');
  });

  it('readInputText returns the file as toString would', async () => {
    const file = join(dir, 'dump.json');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), big([0xe2, 0x82, 0xac])]);
    writeFileSync(file, bytes);
    expect(await readInputText(file)).toBe(bytes.toString('utf8'));
  });
});

describe('readInputText', () => {
  it('refuses binary content (a NUL byte) with exit 65, naming the file', async () => {
    const file = join(dir, 'dump.bin');
    writeFileSync(file, Buffer.from([0x7b, 0x00, 0x7d]));
    await expect(readInputText(file)).rejects.toMatchObject({
      exitCode: 65,
      message: `${file}: binary file (contains NUL bytes), not text`,
    });
    writeFileSync(file, '{"configs": []}');
    expect(await readInputText(file)).toBe('{"configs": []}');
  });
});
