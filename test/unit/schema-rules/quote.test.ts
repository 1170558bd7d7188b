/** Values quoted in schema findings: as JSON, cut at 200 characters (YAML aliases can make one huge). */
import { describe, expect, it } from 'vitest';
import { quote } from '../../../src/analyzers/schema/rules/common.js';

describe('quote', () => {
  it('writes a value as JSON, an absent one as (none)', () => {
    expect([quote('a'), quote(5), quote([1, 'x']), quote(undefined)]).toEqual([
      '"a"',
      '5',
      '[1,"x"]',
      '(none)',
    ]);
  });

  it('cuts a long value at 200 characters', () => {
    const tens = Array(10).fill('x');
    const huge = Array(10).fill(Array(10).fill(Array(10).fill(tens)));
    expect(quote(huge)).toBe(`${JSON.stringify(huge).slice(0, 200)}…`);
    expect(quote('y'.repeat(300))).toBe(`"${'y'.repeat(199)}…`);
  });
});
