/**
 * `mesh certs`: fetch every proxy's secrets concurrently (bounded), turn them into certificate facts,
 * group proxies by the roots they trust, and decide the exit code (79 for expiry findings or differing
 * roots; 1 when a proxy failed and nothing else was found).
 */
import { ConfigDump } from '../envoy/dump.js';
import { renderTable } from '../render/tabwriter.js';
import { ExitCode, describeError } from '../util/errors.js';
import { certFacts, type CertFact } from './facts.js';

/** One proxy to read: a label for output and a way to get its config dump text. */
export interface CertSource {
  label: string;
  fetch(): Promise<string>;
}

export interface ProxyCerts {
  proxy: string;
  certificates: CertFact[];
  /** One line, when the proxy could not be read. */
  error?: string;
  /** The `id` of the root set (`roots[]`) this proxy trusts, 1-based as shown (absent when it has none or failed). */
  rootSet?: number;
}

export interface RootSet {
  /** 1-based id shown in the table. */
  id: number;
  certificates: CertFact[];
  proxies: string[];
}

export interface CertReport {
  apiVersion: 'mesh/v1';
  kind: 'CertReport';
  now: string;
  warnWithinSeconds: number;
  proxies: ProxyCerts[];
  /** Distinct sets of trusted roots, most used first. More than one = roots differ across proxies. */
  roots: RootSet[];
  summary: {
    proxies: number;
    failed: number;
    expired: number;
    expiring: number;
    notYetValid: number;
    invalid: number;
    missing: number;
    rootsDiffer: boolean;
    exitCode: number;
  };
}

const FINDING_STATUSES = new Set(['EXPIRED', 'EXPIRING', 'NOT YET VALID', 'INVALID', 'MISSING']);

/** Reads one proxy; a failure becomes an error entry, never an exception. */
export async function readProxy(source: CertSource, now: Date, warnMs: number): Promise<ProxyCerts> {
  try {
    const dump = ConfigDump.parse(await source.fetch(), source.label);
    return { proxy: source.label, certificates: certFacts(dump, now, warnMs) };
  } catch (err) {
    return { proxy: source.label, certificates: [], error: describeError(err) };
  }
}

/** Groups proxies by the exact set of root certificates they trust (by SHA-256). */
export function groupRoots(proxies: ProxyCerts[]): RootSet[] {
  const byKey = new Map<string, RootSet>();
  const keyOf = new Map<ProxyCerts, string>();
  for (const p of proxies) {
    const roots = p.certificates.filter((c) => c.kind === 'root' && c.sha256);
    if (roots.length === 0) continue;
    const unique = [...new Map(roots.map((r) => [r.sha256, r])).values()].sort((a, b) =>
      a.sha256 < b.sha256 ? -1 : 1,
    );
    const key = unique.map((r) => r.sha256).join(' ');
    if (!byKey.has(key)) byKey.set(key, { id: 0, certificates: unique, proxies: [] });
    byKey.get(key)!.proxies.push(p.proxy);
    keyOf.set(p, key);
  }
  const sets = [...byKey.values()].sort((a, b) => b.proxies.length - a.proxies.length);
  sets.forEach((s, i) => (s.id = i + 1));
  for (const [p, key] of keyOf) p.rootSet = byKey.get(key)!.id;
  return sets;
}

export function buildReport(proxies: ProxyCerts[], now: Date, warnMs: number): CertReport {
  const roots = groupRoots(proxies);
  const all = proxies.flatMap((p) => p.certificates);
  const count = (s: string) => all.filter((c) => c.status === s).length;
  const failed = proxies.filter((p) => p.error).length;
  const findings = all.some((c) => FINDING_STATUSES.has(c.status)) || roots.length > 1;
  return {
    apiVersion: 'mesh/v1',
    kind: 'CertReport',
    now: now.toISOString(),
    warnWithinSeconds: Math.round(warnMs / 1000),
    proxies,
    roots,
    summary: {
      proxies: proxies.length,
      failed,
      expired: count('EXPIRED'),
      expiring: count('EXPIRING'),
      notYetValid: count('NOT YET VALID'),
      invalid: count('INVALID'),
      missing: count('MISSING'),
      rootsDiffer: roots.length > 1,
      exitCode: findings ? ExitCode.FINDINGS : failed > 0 ? ExitCode.RUNTIME : ExitCode.OK,
    },
  };
}

/** `89d`, `6d23h`, `5h3m`, `42m`, `30s`; negative (expired) durations get a leading `-`. */
export function formatRemaining(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  if (d >= 10) return `${sign}${d}d`;
  if (d > 0) return `${sign}${d}d${h > 0 ? `${h}h` : ''}`;
  if (h > 0) return `${sign}${h}h${m > 0 ? `${m}m` : ''}`;
  if (m > 0) return `${sign}${m}m`;
  return `${sign}${s}s`;
}

/**
 * The first 8 bytes of a SHA-256 fingerprint: tells apart roots that share subject and serial (a CA
 * re-created with a new key), which the other columns show alike.
 */
const shortFingerprint = (sha256: string) => (sha256 ? `${sha256.split(':').slice(0, 8).join(':')}` : '-');

const byExpiry = (a: { expiresInSeconds: number }, b: { expiresInSeconds: number }) =>
  a.expiresInSeconds - b.expiresInSeconds;

/**
 * A root that could not be read has no fingerprint, so no root set holds it: it is listed with the
 * proxy's own certificates, or no row would show where the unreadable one is.
 */
const inProxyTable = (c: CertFact) => c.kind !== 'root' || !c.sha256;

/**
 * Two tables: proxy certificates (leaf, chain and unreadable roots, soonest expiry first, then the
 * proxies that could not be read), and the distinct trusted roots with how many proxies trust each set.
 */
export function renderCertTables(report: CertReport): string {
  const rows: Array<{ expiresInSeconds: number; cells: string[] }> = [];
  for (const p of report.proxies) {
    for (const c of p.certificates.filter(inProxyTable))
      rows.push({
        expiresInSeconds: c.status === 'INVALID' || c.status === 'MISSING' ? -Infinity : c.expiresInSeconds,
        cells: [
          p.proxy,
          c.secret,
          c.kind,
          c.serial || '-',
          c.notAfter || '-',
          c.notAfter && c.status !== 'INVALID' ? formatRemaining(c.expiresInSeconds) : '-',
          c.issuer || '-',
          c.identities.join(',') || '-',
          c.reason ? `${c.status}: ${c.reason}` : c.status,
        ],
      });
  }
  rows.sort(byExpiry);
  const errors = report.proxies
    .filter((p) => p.error)
    .map((p) => [p.proxy, '-', '-', '-', '-', '-', '-', '-', `ERROR: ${p.error}`]);
  const header = [
    'PROXY',
    'SECRET',
    'KIND',
    'SERIAL',
    'NOT AFTER',
    'EXPIRES IN',
    'ISSUER',
    'IDENTITY',
    'STATUS',
  ];
  let out = renderTable([header, ...rows.map((r) => r.cells), ...errors], 3);
  if (report.roots.length > 0) {
    const rootRows = report.roots.flatMap((set) =>
      [...set.certificates]
        .sort(byExpiry)
        .map((c) => [
          report.roots.length > 1 ? `${set.id}/${report.roots.length}` : String(set.id),
          String(set.proxies.length),
          c.subject || '-',
          c.serial || '-',
          shortFingerprint(c.sha256),
          c.notAfter || '-',
          c.notAfter && c.status !== 'INVALID' ? formatRemaining(c.expiresInSeconds) : '-',
          c.trustDomain ?? '-',
          c.reason ? `${c.status}: ${c.reason}` : c.status,
        ]),
    );
    const rootHeader = [
      'ROOT SET',
      'PROXIES',
      'SUBJECT',
      'SERIAL',
      'SHA-256',
      'NOT AFTER',
      'EXPIRES IN',
      'TRUST DOMAIN',
      'STATUS',
    ];
    out += '\n' + renderTable([rootHeader, ...rootRows], 3);
  }
  return out;
}

/** One stderr line per root set that differs from the most common one (empty when all agree). */
export function rootWarnings(report: CertReport): string[] {
  if (report.roots.length < 2) return [];
  return report.roots.slice(1).map((set) => {
    const shown = set.proxies.slice(0, 5).join(', ');
    const more = set.proxies.length > 5 ? ` and ${set.proxies.length - 5} more` : '';
    return `warning: roots differ: root set ${set.id} (trusted by ${set.proxies.length} proxies: ${shown}${more}) is not the set most proxies trust (root set 1, ${report.roots[0]!.proxies.length} proxies)`;
  });
}
