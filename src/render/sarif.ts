import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MESSAGES, docsUrl } from '../analyzers/messages.js';
import type { Finding, Level } from '../analyzers/types.js';
import type { LoadProblem } from '../manifests/types.js';
import { jsonChunks, type Chunks } from './chunks.js';
import { clusterTag } from './findings.js';

const SARIF_LEVEL: Record<Level, 'error' | 'warning' | 'note'> = {
  Error: 'error',
  Warning: 'warning',
  Info: 'note',
};

/** SARIF 2.1.0 in pieces: one rule per catalogue code (with help text), always a `results` array. */
export function sarifChunks(
  findings: readonly Finding[],
  problems: readonly LoadProblem[],
  toolVersion: string,
): Chunks {
  return jsonChunks(sarifLog(findings, problems, toolVersion));
}

function sarifLog(findings: readonly Finding[], problems: readonly LoadProblem[], toolVersion: string) {
  const rules = [...MESSAGES.values()].map((m) => ({
    id: m.code,
    name: m.name,
    shortDescription: { text: m.name },
    fullDescription: { text: m.description },
    helpUri: docsUrl(m.code),
    help: {
      text: `${m.description}${m.fix ? ` Fix: ${m.fix}` : ''}`,
      markdown: `**${m.code} ${m.name}**\n\n${m.description}${m.fix ? `\n\n**Fix:** ${m.fix}` : ''}`,
    },
    defaultConfiguration: { level: SARIF_LEVEL[m.level] },
  }));
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const results = findings.map((f) => {
    const result: Record<string, unknown> = {
      ruleId: f.code,
      ruleIndex: ruleIndex.get(f.code),
      level: SARIF_LEVEL[f.level],
      message: { text: f.origin ? `${f.message} (${clusterTag(f.cluster)}${f.origin})` : f.message },
    };
    const properties: Record<string, string> = {};
    if (f.cluster !== undefined) properties.cluster = f.cluster;
    if (!f.file && f.origin && f.resource?.origin.cluster) {
      // An object of the cluster: no artifact, only the object's name.
      result.locations = [
        {
          logicalLocations: [
            { fullyQualifiedName: f.origin + (f.path ? `#${f.path}` : ''), kind: 'resource' },
          ],
        },
      ];
      properties.source = 'cluster';
    } else if (f.file) {
      const region: Record<string, number> = {};
      if (f.line) region.startLine = f.line;
      if (f.column) region.startColumn = f.column;
      result.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(f.file) },
            ...(f.line ? { region } : {}),
          },
          ...(f.origin
            ? {
                logicalLocations: [
                  { fullyQualifiedName: f.origin + (f.path ? `#${f.path}` : ''), kind: 'resource' },
                ],
              }
            : {}),
        },
      ];
    }
    if (Object.keys(properties).length > 0) result.properties = properties;
    return result;
  });
  const notifications = problems
    .filter((p) => p.severity !== 'note')
    .map((p) => ({
      level: p.severity === 'error' ? 'error' : 'warning',
      message: { text: p.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(p.file) },
            ...(p.line
              ? { region: { startLine: p.line, ...(p.column ? { startColumn: p.column } : {}) } }
              : {}),
          },
        },
      ],
    }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mesh',
            informationUri: 'https://github.com/mesh-cli/mesh',
            semanticVersion: toolVersion,
            version: toolVersion,
            rules,
          },
        },
        results,
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
      },
    ],
  };
  return log;
}

function toUri(file: string): string {
  if (file === '-') return 'stdin';
  // An absolute path is a `file:` URI, as SARIF wants a file outside any base named: a bare `/home/…` is
  // only a reference a reader resolves against a base of its choosing. A relative path stays relative to
  // where mesh ran (the repository root in CI), each segment percent-encoded.
  if (isAbsolute(file)) return pathToFileURL(file).href;
  return file
    .split(/[\\/]/)
    .map((s) => encodeURIComponent(s))
    .join('/');
}
