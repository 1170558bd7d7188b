import type { Finding, Level } from '../analyzers/types.js';
import type { LoadProblem } from '../manifests/types.js';
import { docsUrl } from '../analyzers/messages.js';

/** Version of the JSON/YAML report shape. Adding fields keeps the version; renaming or removing bumps it. */
export const REPORT_VERSION = 1;

export interface ReportFinding {
  code: string;
  level: Level;
  origin: string;
  kind?: string;
  namespace?: string;
  name?: string;
  file?: string;
  line?: number;
  column?: number;
  path?: string;
  message: string;
  analyzer: string;
  documentationUrl: string;
  /** "cluster" when the object was read from the cluster (it then has no file, line or column). */
  source?: 'cluster';
  /** In a multi-cluster analysis: the cluster ID of the object ("default": the primary cluster or a file). */
  cluster?: string;
  /** true when the finding is in the --baseline file (it does not fail the run). */
  baseline?: boolean;
}

export interface AnalysisReport {
  apiVersion: 'mesh/v1';
  kind: 'AnalysisReport';
  version: number;
  findings: ReportFinding[];
  problems: LoadProblem[];
  /** Analyzers not run, and why (e.g. a kind they need is not in the inputs). */
  skippedAnalyzers: Array<{ analyzer: string; reason: string }>;
  summary: {
    errors: number;
    warnings: number;
    info: number;
    total: number;
    files: number;
    resources: number;
    parseErrors: number;
    suppressed: number;
    hiddenByNamespace: number;
    inBaseline: number;
    /** Number of analyzers run and skipped. */
    analyzers: number;
    skippedAnalyzers: number;
    exitCode: number;
  };
}

export function toReportFinding(f: Finding, baseline = false): ReportFinding {
  const r = f.resource;
  const out: ReportFinding = {
    code: f.code,
    level: f.level,
    origin: f.origin ?? '',
    message: f.message,
    analyzer: f.analyzer,
    documentationUrl: docsUrl(f.code),
  };
  if (r) {
    out.kind = r.kind;
    if (r.namespace) out.namespace = r.namespace;
    out.name = r.name;
    if (r.origin.cluster) out.source = 'cluster';
  }
  if (f.cluster !== undefined) out.cluster = f.cluster;
  if (f.file) out.file = f.file;
  if (f.line) out.line = f.line;
  if (f.column) out.column = f.column;
  if (f.path) out.path = f.path;
  if (baseline) out.baseline = true;
  return out;
}

export function countLevels(findings: readonly { level: Level }[]): {
  errors: number;
  warnings: number;
  info: number;
} {
  let errors = 0;
  let warnings = 0;
  let info = 0;
  for (const f of findings) {
    if (f.level === 'Error') errors++;
    else if (f.level === 'Warning') warnings++;
    else info++;
  }
  return { errors, warnings, info };
}
