/** `mesh analyze --list-analyzers`: istioctl's text list, or the analyzers' metadata as JSON/YAML. */
import { ALL_ANALYZERS, OPT_IN_ANALYZERS } from '../analyzers/registry.js';
import type { Analyzer } from '../analyzers/types.js';
import { usageError } from '../util/errors.js';

export interface AnalyzerListEntry {
  name: string;
  description: string;
  /** Kind keys the analyzer reads (`*` for every kind). */
  inputs: string[];
  /** Kind keys without which it is skipped. */
  requires: string[];
  /** Message codes it may report (IST0001, for an analyzer that fails, is the runner's and not listed). */
  codes: string[];
  /** Runs only when named with --analyzer (istioctl does not register it). */
  optIn: boolean;
}

const entry = (a: Analyzer, optIn: boolean): AnalyzerListEntry => ({
  name: a.name,
  description: a.description,
  // Once each: an analyzer may declare a kind twice (a workload kind is also an annotated kind).
  inputs: [...new Set(a.inputs)],
  requires: [...(a.requires ?? [])],
  codes: [...a.codes],
  optIn,
});

export async function renderAnalyzerList(format: string): Promise<string> {
  if (format === 'log') return ALL_ANALYZERS.map((a) => `* ${a.name}:\n    ${a.description}`).join('\n');
  if (format !== 'json' && format !== 'yaml')
    throw usageError(`--list-analyzers prints log, json or yaml, not ${format}`);
  const list = {
    apiVersion: 'mesh/v1',
    kind: 'AnalyzerList',
    analyzers: [...ALL_ANALYZERS.map((a) => entry(a, false)), ...OPT_IN_ANALYZERS.map((a) => entry(a, true))],
  };
  if (format === 'json') return JSON.stringify(list, null, 2);
  const { stringify } = await import('yaml');
  return stringify(list, { lineWidth: 0 });
}
