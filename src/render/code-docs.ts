import { MESSAGES } from '../analyzers/messages.js';
import { ALL_ANALYZERS, OPT_IN_ANALYZERS } from '../analyzers/registry.js';
import { ANALYZER_FAILURE } from '../analyzers/run.js';
import type { Analyzer, MessageType } from '../analyzers/types.js';

/** Which analyzers can report a code (code → "Reported by" lines: analyzer names, each with a note or not). */
export type Emitters = Map<string, string[]>;

function template(m: MessageType): string {
  return (m as MessageType & { template?: string }).template ?? '';
}

/** The Markdown page for one message code (docs/codes/<code>.md). */
export function renderCodeDoc(m: MessageType, emitters: string[]): string {
  const lines = [
    `# ${m.code} ${m.name}`,
    '',
    `Level: **${m.level}**${m.code.startsWith('MSH') ? ' · a check of mesh’s own (istioctl has no such check)' : ' · same code and level as istioctl'}`,
    '',
    m.description,
    '',
  ];
  if (m.fix) lines.push('## How to fix', '', m.fix, '');
  lines.push('## Message', '', '```', template(m), '```', '');
  if (m.args.length > 0) lines.push(`Arguments, in order: ${m.args.map((a) => `\`${a}\``).join(', ')}.`, '');
  lines.push(
    '## Reported by',
    '',
    emitters.length > 0
      ? emitters.map((e) => `- ${e}`).join('\n')
      : '- no analyzer of `mesh analyze` (kept for compatibility: install precheck or unused upstream)',
    '',
    '## Suppressing it',
    '',
    '```sh',
    `mesh analyze ./manifests --suppress "${m.code}=Kind namespace/name"`,
    '```',
    '',
    `or annotate the resource with \`galley.istio.io/analyze-suppress: ${m.code}\`.`,
    '',
  );
  return lines.join('\n');
}

export function renderIndex(): string {
  const rows = [...MESSAGES.values()].map(
    (m) => `| [${m.code}](${m.code.toLowerCase()}.md) | ${m.level} | ${m.name} |`,
  );
  return [
    '# Message codes',
    '',
    'Generated from `src/analyzers/messages.ts` by `npm run docs`.',
    '',
    '| Code | Level | Name |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** All pages: file name → content. `emitters` maps a code to its "Reported by" lines. */
export function renderAllDocs(emitters: Emitters = emittersOf()): Map<string, string> {
  const out = new Map<string, string>();
  out.set('README.md', renderIndex());
  for (const m of MESSAGES.values())
    out.set(`${m.code.toLowerCase()}.md`, renderCodeDoc(m, emitters.get(m.code) ?? []));
  return out;
}

/**
 * Which analyzer reports which code, from the `codes` every analyzer declares (the runner holds them to
 * it). Opt-in analyzers say so; IST0001 is also the runner's, for any analyzer that fails.
 */
export function emittersOf(
  analyzers: readonly Analyzer[] = ALL_ANALYZERS,
  optIn: readonly Analyzer[] = OPT_IN_ANALYZERS,
): Emitters {
  const names = new Map<string, Set<string>>();
  const add = (code: string, line: string) => names.set(code, (names.get(code) ?? new Set()).add(line));
  for (const a of analyzers) for (const c of a.codes) add(c, `\`${a.name}\``);
  for (const a of optIn)
    for (const c of a.codes) add(c, `\`${a.name}\` (opt-in: runs only when named with \`--analyzer\`)`);
  const emitters: Emitters = new Map([...names].map(([code, lines]) => [code, [...lines].sort()]));
  emitters.set(ANALYZER_FAILURE, [
    ...(emitters.get(ANALYZER_FAILURE) ?? []),
    'any analyzer that fails: `mesh analyze` reports the failure itself, on the document the analyzer fails on when one alone explains it',
  ]);
  return emitters;
}
