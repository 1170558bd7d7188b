import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/analyzers/schema/rules/common.js';

// Go's time.ParseDuration: microseconds may be written us, µs (U+00B5 MICRO SIGN) or μs (U+03BC).
describe('parseGoDuration', () => {
  it('reads every unit Go reads, both micro signs included', () => {
    expect(parseGoDuration('1.5h')).toBe(1.5 * 3600e9);
    expect(parseGoDuration('2m30s')).toBe(150e9);
    expect(parseGoDuration('250ms')).toBe(250e6);
    expect(parseGoDuration('7us')).toBe(7e3);
    expect(parseGoDuration('7\u00b5s')).toBe(7e3);
    expect(parseGoDuration('7\u03bcs')).toBe(7e3);
    expect(parseGoDuration('10ns')).toBe(10);
    expect(parseGoDuration('-1s')).toBe(-1e9);
    expect(parseGoDuration('0')).toBe(0);
  });

  it('rejects what Go rejects', () => {
    for (const s of ['', '1', 's', '1d', '1 s', '1.s.', '7Ms']) expect(parseGoDuration(s), s).toBeUndefined();
  });
});
