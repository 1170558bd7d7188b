import type { Finding } from '../analyzers/types.js';
import { ansi } from '../util/tty.js';
import type { AnalysisReport } from './report.js';

/**
 * istioctl's line: `Level [CODE] (Kind ns/name file:line) text`, with `[cluster-ID]` before the origin in a
 * multi-cluster analysis; only the level word is coloured. A line is printed once, as istioctl prints it:
 * findings it repeats differ in what the line does not show (the column, the field path of `-o json`), for
 * instance one missing host named by two routes written on one line, or of an object of the cluster.
 */
export function renderLog(findings: readonly Finding[], color: boolean): string {
  return distinct(findings, (f) => {
    const level =
      f.level === 'Error'
        ? ansi.boldRed('Error', color)
        : f.level === 'Warning'
          ? ansi.yellow('Warning', color)
          : 'Info';
    const loc = f.file ? ` ${f.file}${f.line ? `:${f.line}` : ''}` : '';
    const origin = f.origin ? `(${f.origin}${loc}) ` : '';
    return `${level} [${f.code}] ${clusterTag(f.cluster)}${origin}${f.message}`;
  });
}

/** The lines `line` gives for the findings, each distinct one once, in order. */
function distinct(findings: readonly Finding[], line: (f: Finding) => string): string {
  return [...new Set(findings.map(line))].join('\n');
}

/**
 * `[cluster-ID] ` of a finding's object in a multi-cluster analysis (istioctl's tag, which every report format
 * carries next to the object's name), '' otherwise.
 */
export function clusterTag(cluster: string | undefined): string {
  return cluster !== undefined ? `[cluster-${cluster}] ` : '';
}

export function renderJson(report: AnalysisReport): string {
  return JSON.stringify(report, null, 2);
}

export async function renderYaml(report: AnalysisReport): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(report, { lineWidth: 0 });
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands: one `::error|warning|notice file=…,line=…::text` per distinct finding. */
export function renderGithub(findings: readonly Finding[]): string {
  return distinct(findings, (f) => {
    const cmd = f.level === 'Error' ? 'error' : f.level === 'Warning' ? 'warning' : 'notice';
    const props: string[] = [];
    if (f.file && f.file !== '-') props.push(`file=${escapeProperty(f.file)}`);
    if (f.line) props.push(`line=${f.line}`);
    if (f.column) props.push(`col=${f.column}`);
    props.push(
      `title=${escapeProperty(`${f.code}${f.origin ? ` ${clusterTag(f.cluster)}${f.origin}` : ''}`)}`,
    );
    return `::${cmd} ${props.join(',')}::${escapeData(`[${f.code}] ${f.message}`)}`;
  });
}
