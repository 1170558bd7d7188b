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
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v).slice(0, 120));
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
    for (const c of e.changes ?? []) lines.push(`    ${c.path}: ${show(c.from)} → ${show(c.to)}`);
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
