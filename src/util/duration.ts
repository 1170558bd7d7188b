import { usageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses Go/kubectl-style durations ("30s", "1m30s", "7d", "250ms") into milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== s.length) {
    throw usageError(`invalid ${flag} "${text}"`, 'use a duration such as 30s, 2m, 1h30m or 7d');
  }
  return total;
}

/**
 * Calls `onTimeout` once `ms` milliseconds have passed since the call: one deadline for a whole operation
 * (connecting, TLS, waiting for the answer), unlike a socket's idle timeout, which restarts whenever a
 * byte moves. A timeout of 0 means none, as kubectl's `--request-timeout=0`. Returns the cancel function.
 */
export function deadline(ms: number, onTimeout: () => void): () => void {
  if (ms <= 0) return () => {};
  const timer = setTimeout(onTimeout, ms);
  return () => clearTimeout(timer);
}
