import { usageError } from '../util/errors.js';
import { MESSAGES } from './messages.js';
import type { Finding } from './types.js';

export const SUPPRESS_ANNOTATION = 'galley.istio.io/analyze-suppress';

export interface SuppressRule {
  text: string;
  code: RegExp;
  resource: RegExp;
}

/** `*` matches any run of characters; everything else is literal. */
export function glob(pattern: string): RegExp {
  return new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
}

/**
 * Parses `--suppress "CODE=Kind ns/name"`. `*` matches any run of characters in both parts. The legacy
 * form `Kind name.namespace` shown by istioctl's help is accepted too. Returns warnings for unknown codes.
 */
export function parseSuppressRules(values: string[]): { rules: SuppressRule[]; warnings: string[] } {
  const rules: SuppressRule[] = [];
  const warnings: string[] = [];
  for (const text of values) {
    const eq = text.indexOf('=');
    if (eq <= 0 || text.indexOf('=', eq + 1) >= 0) {
      throw usageError(
        `invalid --suppress "${text}"`,
        'use CODE=RESOURCE, e.g. --suppress "IST0102=Namespace frod" or "IST0107=Pod default/*"',
      );
    }
    const code = text.slice(0, eq).trim();
    const res = text.slice(eq + 1).trim();
    if (!code.includes('*') && !MESSAGES.has(code)) {
      warnings.push(
        `Supplied message code '${code}' is an unknown message code and will not have any effect.`,
      );
    }
    let resource = glob(res);
    const legacy = /^(\S+) ([^/\s]+)\.([^./\s]+)$/.exec(res);
    if (legacy && !res.includes('/')) {
      resource = new RegExp(
        `(?:${resource.source})|(?:${glob(`${legacy[1]} ${legacy[3]}/${legacy[2]}`).source})`,
      );
    }
    rules.push({ text, code: glob(code), resource });
  }
  return { rules, warnings };
}

export function suppressedByRule(f: Finding, rules: readonly SuppressRule[]): boolean {
  if (!f.origin || rules.length === 0) return false;
  return rules.some((r) => r.code.test(f.code) && r.resource.test(f.origin!));
}

/** The `galley.istio.io/analyze-suppress` annotation: comma-separated codes or `*` (whitespace tolerated). */
export function suppressedByAnnotation(f: Finding): boolean {
  const v = f.resource?.metadata?.annotations?.[SUPPRESS_ANNOTATION];
  if (typeof v !== 'string') return false;
  return v.split(',').some((c) => {
    const t = c.trim();
    return t === '*' || t === f.code;
  });
}
