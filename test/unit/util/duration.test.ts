import { describe, expect, it } from 'vitest';
import { isDeadline, parseDuration, parseGoDuration } from '../../../src/util/duration.js';

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

// Command-line durations (--timeout, --warn): the same units plus days, and bare seconds as kubectl.
describe('parseDuration', () => {
  it('reads flag values into milliseconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('0')).toBe(0);
  });

  it('rejects anything else as a usage error naming the flag', () => {
    for (const s of ['', 'abc', '1x', '-5s', '5 s']) {
      expect(() => parseDuration(s, '--timeout'), s).toThrow(`invalid --timeout "${s}"`);
    }
    expect(() => parseDuration('soon', '--warn')).toThrow(expect.objectContaining({ exitCode: 64 }));
  });

  it('a timeout of 0, or longer than a timer can hold (2^31 - 1 ms), limits nothing', () => {
    expect([0, 1, 2 ** 31 - 1, 2 ** 31, parseDuration('30d')].map(isDeadline)).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });
});
