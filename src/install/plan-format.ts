import type { Plan } from '../kube/installer.js';

/** The plan as text: one line per object that changes, with its changed fields; a summary line last. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  const sym = {
    create: '+',
    change: '~',
    prune: '-',
    conflict: '!',
    adopt: '!',
    missing: '!',
    unchanged: ' ',
  } as const;
  for (const e of plan.entries) {
    if (e.action === 'unchanged') continue;
    const why =
      e.action === 'conflict'
        ? `: ${e.takeOver ? `${e.takeOver}; ` : ''}conflict: ${e.message}`
        : e.action === 'adopt' || e.action === 'missing'
          ? `: ${e.message}`
          : '';
    lines.push(`${sym[e.action]} ${e.ref}${why}${e.note ? ` (${e.note})` : ''}`);
    if (e.hint) lines.push(`    Hint: ${e.hint}`);
    for (const c of e.changes ?? []) {
      const [from, to] = showChange(c.from, c.to);
      lines.push(`    ${c.path}: ${from} → ${to}`);
    }
  }
  if (plan.leftAlone?.length)
    lines.push(
      `Left alone (they carry this install's labels but mesh never applied them, so they are not pruned):`,
      ...plan.leftAlone.map((l) => `  ${l}`),
    );
  const count = (a: string) => plan.entries.filter((e) => e.action === a).length;
  lines.push(
    `Plan: ${count('create')} to create, ${count('change')} to change, ${count('prune')} to prune, ` +
      `${count('unchanged')} unchanged${count('conflict') ? `, ${count('conflict')} in conflict` : ''}` +
      `${count('adopt') ? `, ${count('adopt')} to take over` : ''}` +
      `${count('missing') ? `, ${count('missing')} namespace(s) missing` : ''}.`,
  );
  return lines.join('\n');
}

/** The most of a value a plan line shows (as JSON), and the text kept before a changed part of a string. */
const SHOWN = 120;
const CONTEXT = 30;

/** A value as JSON, cut to SHOWN characters with "…" when longer. */
function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
}

/**
 * Both sides of a changed field. Two strings too long to show whole (a ConfigMap's data) are shown from a
 * little before where they start to differ to a little after where they agree again, with "…" for what is
 * left out: their first 120 characters are often the same, and the line showed no change at all.
 */
function showChange(from: unknown, to: unknown): [string, string] {
  const fits = (v: string) => JSON.stringify(v).length <= SHOWN;
  if (typeof from !== 'string' || typeof to !== 'string' || (fits(from) && fits(to)))
    return [show(from), show(to)];
  let head = 0;
  while (head < from.length && head < to.length && from[head] === to[head]) head++;
  let tail = 0;
  while (
    tail < from.length - head &&
    tail < to.length - head &&
    from[from.length - 1 - tail] === to[to.length - 1 - tail]
  )
    tail++;
  const start = Math.max(0, head - CONTEXT);
  const part = (v: string) => {
    const end = Math.min(v.length, v.length - tail + CONTEXT);
    const text = JSON.stringify(v.slice(start, end));
    const cut = text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
    return `${start > 0 ? '…' : ''}${cut}${end < v.length && text.length <= SHOWN ? '…' : ''}`;
  };
  return [part(from), part(to)];
}
