import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGES } from '../analyzers/messages.js';
import type { MessageType } from '../analyzers/types.js';
/** Which analyzers can emit a code (code → analyzer names). */
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
      ? emitters.map((e) => `- \`${e}\``).join('\n')
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

/** All pages: file name → content. `emitters` maps a code to analyzer names. */
export function renderAllDocs(emitters: Emitters): Map<string, string> {
  const out = new Map<string, string>();
  out.set('README.md', renderIndex());
  for (const m of MESSAGES.values())
    out.set(`${m.code.toLowerCase()}.md`, renderCodeDoc(m, emitters.get(m.code) ?? []));
  return out;
}

/**
 * Which analyzer emits which code, read from the analyzer sources (one analyzer per file: its `name:` and
 * the codes the file mentions). Used only when generating docs.
 */
export function scanEmitters(dir: string): Emitters {
  const emitters: Emitters = new Map();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        const names = [...text.matchAll(/name: '([A-Za-z]+\.[A-Za-z.]+)'/g)].map((m) => m[1]!);
        if (names.length === 0) continue;
        const codes = new Set([...text.matchAll(/'((?:IST|MSH)\d{4})'/g)].map((m) => m[1]!));
        for (const c of codes) emitters.set(c, [...new Set([...(emitters.get(c) ?? []), ...names])].sort());
      }
    }
  };
  walk(dir);
  return emitters;
}
