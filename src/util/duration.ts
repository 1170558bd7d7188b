import { usageError } from './errors.js';

const NS_PER: Record<string, number> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3, // MICRO SIGN
  '\u03bcs': 1e3, // GREEK SMALL LETTER MU
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86_400e9,
};

/** `<number><unit>` repeated; `d` (days) only for command-line flags, Go has no such unit. */
const GO_TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
const FLAG_TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h|d)/y;

function parseTerms(s: string, term: RegExp): number | undefined {
  term.lastIndex = 0;
  let total = 0;
  let end = 0;
  let m: RegExpExecArray | null;
  while ((m = term.exec(s)) !== null) {
    total += Number(m[1]) * NS_PER[m[2]!]!;
    end = term.lastIndex;
  }
  return end === 0 || end !== s.length ? undefined : total;
}

/**
 * Parses a Go duration (Go's time.ParseDuration: "5s", "1m30s", "250ms", "0.5s", "-1h", "0") into
 * nanoseconds, as the Istio CRDs accept them; undefined when it does not parse.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s.startsWith('-') ? -1 : 1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  const ns = parseTerms(s, GO_TERM);
  return ns === undefined ? undefined : sign * Math.round(ns);
}

/**
 * Parses a duration flag ("30s", "1m30s", "250ms", "7d", or a bare number of seconds, as kubectl reads
 * them) into milliseconds; a usage error otherwise.
 */
export function parseDuration(text: string, flag = 'duration'): number {
  const s = text.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const ns = parseTerms(s, FLAG_TERM);
  if (ns === undefined)
    throw usageError(`invalid ${flag} "${text}"`, 'use a duration such as 30s, 2m, 1h30m or 7d');
  return ns / 1e6;
}

/**
 * Parses an expiry window flag (`certs --warn`, `check --cert-warn`): as parseDuration, but a bare
 * non-zero number is refused. Elsewhere a bare number is seconds (as kubectl's --request-timeout), but a
 * window is counted in days: `--warn 7` read as 7 seconds would report nothing, so a unit is required.
 */
export function parseWindow(text: string, flag: string): number {
  if (/^\d+$/.test(String(text).trim()) && Number(text) !== 0)
    throw usageError(`invalid ${flag} "${text}": give a unit`, 'for example 7d, 36h or 30m');
  return parseDuration(text, flag);
}

/**
 * Whether a timeout of `ms` limits anything: 0 means none, and so does one longer than a timer can hold
 * (2^31 − 1 ms, ≈ 24.8 days), which Node would otherwise fire at once (`--timeout 30d` failed at once).
 */
export function isDeadline(ms: number): boolean {
  return ms > 0 && ms <= 2 ** 31 - 1;
}

/** Time spent in pauses of every deadline (pauseDeadlines), ended ones and the one going on. */
let pausedMs = 0;
let pauses = 0;
let pausedSince = 0;
const pausedTotal = () => pausedMs + (pauses > 0 ? Date.now() - pausedSince : 0);

/**
 * Stops every deadline's clock until the returned function is called: while the user answers a login
 * prompt (an interactive credential plugin), which kubectl does not time either.
 */
export function pauseDeadlines(): () => void {
  if (pauses++ === 0) pausedSince = Date.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--pauses === 0) pausedMs += Date.now() - pausedSince;
  };
}

/**
 * Calls `onTimeout` once `ms` milliseconds have passed since the call: one deadline for a whole operation
 * (connecting, TLS, waiting for the answer), unlike a socket's idle timeout, which restarts whenever a
 * byte moves. Time in pauseDeadlines does not count. A timeout of 0 means none, as kubectl's
 * `--request-timeout=0`. Returns the cancel function.
 */
export function deadline(ms: number, onTimeout: () => void): () => void {
  if (!isDeadline(ms)) return () => {};
  // the time paused since the call is added when the timer fires (the clock is read only then)
  let counted = pausedTotal();
  const check = () => {
    const owed = pausedTotal() - counted;
    if (owed <= 0 && pauses === 0) return onTimeout();
    counted += owed;
    timer = setTimeout(check, Math.max(owed, 50));
  };
  let timer = setTimeout(check, ms);
  return () => clearTimeout(timer);
}
