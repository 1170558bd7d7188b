import { MeshError, ExitCode } from '../util/errors.js';
import { remoteClusterId } from '../manifests/types.js';
import { jsonSyntaxError } from '../manifests/json-error.js';
import { errnoText, readFlagFile, withoutBom } from '../util/input.js';
import type { Finding } from './types.js';

/** A baseline records accepted findings so CI fails only on new ones. */
export interface BaselineFile {
  version: 1;
  generator: 'mesh';
  /** `cluster`: a remote cluster's ID, for a finding on its object (the primary's and files' have none). */
  findings: Array<{ code: string; origin: string; path?: string; message: string; cluster?: string }>;
}

function keyOf(f: { code: string; origin?: string; path?: string; cluster?: string }): string {
  return `${f.code}|${f.origin ?? ''}|${f.path ?? ''}|${remoteClusterId(f.cluster) ?? ''}`;
}

/** The baseline file's text for `findings` (written by `--write-baseline`, read by `--baseline`). */
export function baselineText(findings: readonly Finding[]): string {
  const data: BaselineFile = {
    version: 1,
    generator: 'mesh',
    findings: findings.map((f) => ({
      code: f.code,
      origin: f.origin ?? '',
      ...(f.path ? { path: f.path } : {}),
      message: f.message,
      ...(remoteClusterId(f.cluster) !== undefined ? { cluster: f.cluster } : {}),
    })),
  };
  return JSON.stringify(data, null, 2) + '\n';
}

export function readBaseline(file: string): BaselineFile {
  let data: any;
  let text: string;
  try {
    // a byte order mark (as some editors save JSON) is no syntax error
    text = withoutBom(readFlagFile(file, 'cannot read baseline '));
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(`cannot read baseline ${file}: ${errnoText(err)}`, { exitCode: ExitCode.USAGE });
  }
  try {
    data = JSON.parse(text);
  } catch (err) {
    // the kind of error and where, never the text around it (JSON.parse's message quotes it)
    const { offset, kind } = jsonSyntaxError(text, (err as Error).message);
    const line = text.slice(0, offset).split('\n').length;
    throw new MeshError(`cannot read baseline ${file}: line ${line}: JSON syntax error: ${kind}`, {
      exitCode: ExitCode.USAGE,
    });
  }
  if (!data || data.version !== 1 || !Array.isArray(data.findings)) {
    throw new MeshError(`${file} is not a mesh baseline (version 1)`, { exitCode: ExitCode.USAGE });
  }
  // a hand-edited entry of another shape would match nothing (or stop the run), without a word
  (data.findings as unknown[]).forEach((entry, i) => {
    const why = entryProblem(entry);
    if (why !== undefined)
      throw new MeshError(
        `${file}: findings[${i}] is not a baseline finding (${why}; code and origin must be strings)`,
        { exitCode: ExitCode.USAGE },
      );
  });
  return data as BaselineFile;
}

/** What is wrong with a baseline entry, in words (`its code is the number 101`), or undefined. */
function entryProblem(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return valueWords(entry);
  const e = entry as Record<string, unknown>;
  for (const key of ['code', 'origin', 'path', 'message', 'cluster'])
    if (typeof e[key] !== 'string' && (e[key] !== undefined || key === 'code' || key === 'origin'))
      return e[key] === undefined ? `it has no ${key}` : `its ${key} is ${valueWords(e[key])}`;
  return undefined;
}

function valueWords(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

/** Splits findings into those already in the baseline and new ones (multiset: counts matter). */
export function applyBaseline(
  findings: readonly Finding[],
  baseline: BaselineFile,
): { fresh: Finding[]; known: Finding[] } {
  const counts = new Map<string, number>();
  for (const b of baseline.findings) counts.set(keyOf(b), (counts.get(keyOf(b)) ?? 0) + 1);
  const fresh: Finding[] = [];
  const known: Finding[] = [];
  for (const f of findings) {
    const k = keyOf(f);
    const n = counts.get(k) ?? 0;
    if (n > 0) {
      counts.set(k, n - 1);
      known.push(f);
    } else fresh.push(f);
  }
  return { fresh, known };
}
