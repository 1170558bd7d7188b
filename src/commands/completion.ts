import type { Command } from 'commander';
import { usageError } from '../util/errors.js';
import { writeStdout } from '../util/output.js';

interface Spec {
  name: string;
  options: string[];
  subcommands: string[];
}

function specs(program: Command): Spec[] {
  return program.commands.map((c) => ({
    name: c.name(),
    options: c.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x))),
    subcommands: c.commands.map((s) => s.name()),
  }));
}

export function bashScript(all: Spec[]): string {
  const cases = all
    .map((s) => `    ${s.name}) opts="${[...s.subcommands, ...s.options].join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for mesh (and kubectl-mesh)
_mesh() {
  local cur cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${all.map((s) => s.name).join(' ')} help --help --version" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") $(compgen -f -- "$cur") )
  fi
}
complete -F _mesh mesh kubectl-mesh
`;
}

export function zshScript(all: Spec[]): string {
  const cases = all
    .map(
      (s) =>
        `    ${s.name}) _values 'option' ${[...s.subcommands, ...s.options].map((o) => `'${o}'`).join(' ') || "''"} ; _files ;;`,
    )
    .join('\n');
  return `#compdef mesh kubectl-mesh
_mesh() {
  if (( CURRENT == 2 )); then
    _values 'command' ${all.map((s) => `'${s.name}'`).join(' ')}
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
compdef _mesh mesh kubectl-mesh
`;
}

export function fishScript(all: Spec[]): string {
  const lines = ['# fish completion for mesh', 'complete -c mesh -f'];
  for (const s of all) {
    lines.push(`complete -c mesh -n '__fish_use_subcommand' -a '${s.name}'`);
    for (const sub of s.subcommands)
      lines.push(`complete -c mesh -n '__fish_seen_subcommand_from ${s.name}' -a '${sub}'`);
    for (const o of s.options) {
      const flag = o.startsWith('--') ? `-l '${o.slice(2)}'` : `-s '${o.slice(1)}'`;
      lines.push(`complete -c mesh -n '__fish_seen_subcommand_from ${s.name}' ${flag}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command, loadAll: () => Promise<void>): void {
  program
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash | zsh | fish')
    .action(async (shell: string) => {
      await loadAll();
      const all = specs(program);
      const scripts: Record<string, (s: Spec[]) => string> = {
        bash: bashScript,
        zsh: zshScript,
        fish: fishScript,
      };
      const fn = scripts[shell];
      if (!fn) throw usageError(`unsupported shell "${shell}"`, 'use bash, zsh or fish');
      await writeStdout(fn(all));
    });
}
