import { loadManifests, type LoadOptions } from '../manifests/load.js';
import { clusterIdOf, type LoadProblem, type LoadResult, type Resource } from '../manifests/types.js';
import { overlay } from '../kube/cluster-objects.js';
import { applyBaseline, type BaselineFile } from './baseline.js';
import { locateFindings, runAnalyzers, type RunOptions, type RunResult } from './run.js';
import { LEVEL_RANK, type Finding, type Level } from './types.js';
import { ExitCode } from '../util/errors.js';

export interface AnalyzeRequest extends RunOptions {
  paths: string[];
  /** Objects read from the cluster; the files' objects replace those of the same kind/namespace/name. */
  cluster?: Resource[];
  /**
   * A mesh of several clusters: the remote clusters' objects (each carries its cluster ID; files never
   * replace them), and how many remote clusters could not be read (the run then fails, exit 1, unless
   * findings make it 79). Each finding then names its object's cluster.
   */
  remote?: { resources: Resource[]; unread: number };
  load?: LoadOptions;
  baseline?: BaselineFile;
  failureThreshold: Level;
  /** Parse errors do not make the run fail (exit 65). */
  ignoreParseErrors?: boolean;
}

export interface AnalyzeOutcome {
  load: LoadResult;
  run: RunResult;
  /** Findings not in the baseline. */
  findings: Finding[];
  /** Findings matched by the baseline. */
  inBaseline: Finding[];
  parseErrors: LoadProblem[];
  /** Paths named by the user that do not exist or cannot be read. */
  missing: LoadProblem[];
  /** How many objects were analyzed: the files' (over the cluster's: one that replaces another counts once), and the remote clusters'. */
  objects: number;
  exitCode: number;
}

/** Load → analyze → baseline → locate → exit code. Pure apart from reading the input files. */
export async function analyzePaths(req: AnalyzeRequest): Promise<AnalyzeOutcome> {
  const load = req.paths.length > 0 ? await loadManifests(req.paths, req.load) : emptyLoad();
  const local = req.cluster ? overlay(req.cluster, load.resources, req.defaultNamespace) : load.resources;
  const inputs = req.remote ? [...local, ...req.remote.resources] : local;
  const run = runAnalyzers(inputs, { ...req, complete: req.complete ?? req.cluster !== undefined });
  let findings = run.findings;
  if (req.remote) for (const f of findings) if (f.resource) f.cluster = clusterIdOf(f.resource);
  let inBaseline: Finding[] = [];
  if (req.baseline) {
    const split = applyBaseline(findings, req.baseline);
    findings = split.fresh;
    inBaseline = split.known;
  }
  await locateFindings(findings);
  await locateFindings(inBaseline);
  const parseErrors = load.problems.filter((p) => p.severity === 'error' && !p.noInput);
  const missing = load.problems.filter((p) => p.noInput);
  const failing = findings.some((f) => LEVEL_RANK[f.level] <= LEVEL_RANK[req.failureThreshold]);
  const exitCode = failing
    ? ExitCode.FINDINGS
    : missing.length > 0
      ? ExitCode.NOINPUT
      : parseErrors.length > 0 && !req.ignoreParseErrors
        ? ExitCode.DATA
        : (req.remote?.unread ?? 0) > 0
          ? ExitCode.RUNTIME
          : ExitCode.OK;
  return { load, run, findings, inBaseline, parseErrors, missing, objects: inputs.length, exitCode };
}

function emptyLoad(): LoadResult {
  return { resources: [], problems: [], files: [] };
}
