import { parseManifestText } from '../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../src/manifests/types.js';
import { locateFindings, runAnalyzers, type RunOptions } from '../../src/analyzers/run.js';
import { findAnalyzer } from '../../src/analyzers/registry.js';
import { defaultMeshConfig, deepMerge } from '../../src/analyzers/meshconfig.js';
import { readExternalPatterns } from '../../src/analyzers/external.js';

/** The options `mesh analyze FILE` runs the analyzers with (default namespace, mesh config, ingress). */
export function cliRunOptions(extra: Partial<RunOptions> = {}): RunOptions {
  return {
    defaultNamespace: 'default',
    reportNamespace: undefined,
    istioNamespace: 'istio-system',
    meshConfig: defaultMeshConfig(),
    meshNetworks: { networks: {} },
    defaultIngress: true,
    ...extra,
  };
}

/** Runs named analyzers over manifest text the way `mesh analyze file.yaml` does; returns located findings. */
export async function analyzeText(
  text: string,
  analyzerNames: string[],
  opts: {
    meshConfig?: Record<string, any>;
    meshNetworks?: Record<string, any>;
    allNamespaces?: boolean;
    /** `--external` patterns: objects that exist outside the inputs. */
    external?: string[];
  } = {},
) {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, 'in.yaml', resources, problems);
  if (problems.some((p) => p.severity === 'error'))
    throw new Error(problems.map((p) => p.message).join('; '));
  const analyzers = analyzerNames.map((n) => {
    const a = findAnalyzer(n);
    if (!a) throw new Error(`no analyzer ${n}`);
    return a;
  });
  const run = runAnalyzers(
    resources,
    cliRunOptions({
      defaultNamespace: opts.allNamespaces ? undefined : 'default',
      meshConfig: deepMerge(defaultMeshConfig(), opts.meshConfig ?? {}),
      meshNetworks: opts.meshNetworks ?? { networks: {} },
      analyzers,
      external: readExternalPatterns(opts.external ?? [], []),
    }),
  );
  await locateFindings(run.findings);
  return run.findings.map((f) => ({
    code: f.code,
    origin: f.origin,
    line: f.line,
    path: f.path,
    message: f.message,
  }));
}

/** 1-based line of the first `needle` that follows the first `after` in a fixture text. */
export function lineOf(text: string, needle: string, after = ''): number {
  const from = text.indexOf(after);
  const i = from < 0 ? -1 : text.indexOf(needle, from);
  if (i < 0) throw new Error(`"${needle}" not in fixture`);
  return text.slice(0, i).split('\n').length;
}

/** The manifest text without its documents of one kind (to show what an analyzer does when they are absent). */
export function withoutKind(text: string, kind: string): string {
  const re = new RegExp(`^kind: ${kind}$`, 'm');
  return text
    .split('\n---\n')
    .filter((doc) => !re.test(doc))
    .join('\n---\n');
}
