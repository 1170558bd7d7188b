import { Argument, type Command } from 'commander';
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

/** One command of the tree, for the bash script: how to read the words after it. */
interface Node {
  /** Canonical path, e.g. `proxy-config cluster` ('' for mesh itself). */
  path: string;
  /** Name and aliases. */
  names: string[];
  options: Array<{ flags: string[]; takesValue: boolean; values: string[] | 'files' | undefined }>;
  children: Node[];
  /** What a bare word may be here besides a subcommand. */
  args: { pods: boolean; files: boolean; words: string[] };
}

const VALUE_LIST = /([A-Za-z][\w-]*(?:\|[A-Za-z][\w-]*)+)/;
const FILE_VALUE = /<(file|dump|dir|path)/;

function tree(c: Command, path: string): Node {
  const args = { pods: false, files: false, words: [] as string[] };
  for (const a of c.registeredArguments) {
    if (a.argChoices) args.words.push(...a.argChoices);
    else {
      args.pods ||= /pod/.test(a.description);
      args.files ||= /file|folder/.test(a.description) || !/pod/.test(a.description);
    }
  }
  return {
    path,
    names: [c.name(), ...c.aliases()],
    options: c.options.map((o) => {
      const takesValue = o.required || o.optional;
      const listed = VALUE_LIST.exec(o.description)?.[1];
      return {
        flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
        takesValue,
        values: !takesValue
          ? undefined
          : (o.argChoices ?? (FILE_VALUE.test(o.flags) ? 'files' : listed?.split('|'))),
      };
    }),
    children: c.commands
      .filter((s) => s.name() !== '__complete')
      .map((s) => tree(s, path ? `${path} ${s.name()}` : s.name())),
    args,
  };
}

function walk(n: Node, visit: (n: Node) => void): void {
  visit(n);
  for (const c of n.children) walk(c, visit);
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * Completes subcommands and their aliases at any depth, flags, the values of flags that take a known set
 * (`-o <TAB>`) or a file, file arguments, and the names of pods with a proxy where a command takes a pod
 * (asked of the cluster by `mesh __complete pods`, with a short timeout, honouring -n/--context/--kubeconfig).
 */
export function bashScript(root: Node): string {
  const child: string[] = [];
  const spec: string[] = [];
  const values: string[] = [];
  walk(root, (n) => {
    for (const c of n.children)
      child.push(`    ${c.names.map((name) => q(`${n.path}/${name}`)).join('|')}) REPLY=${q(c.path)} ;;`);
    const words = [...n.children.flatMap((c) => c.names), ...n.args.words];
    const flags = n.options.flatMap((o) => o.flags);
    const valued = n.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    spec.push(
      `    ${q(n.path)}) subs=${q(words.join(' '))} opts=${q([...flags, '--help'].join(' '))} valopts=${q(valued.join(' '))} pods=${n.args.pods ? 1 : 0} files=${n.args.files ? 1 : 0} ;;`,
    );
    for (const o of n.options) {
      if (!o.values) continue;
      const v = o.values === 'files' ? '@files' : o.values.join(' ');
      values.push(`    ${o.flags.map((f) => q(`${n.path}|${f}`)).join('|')}) REPLY=${q(v)} ;;`);
    }
  });
  return `# bash completion for mesh (and kubectl-mesh)
_mesh_child() {
  case "$1/$2" in
${child.join('\n')}
    *) REPLY= ;;
  esac
}
_mesh_spec() {
  subs= opts= valopts= pods=0 files=0
  case "$1" in
${spec.join('\n')}
  esac
}
_mesh_values() {
  case "$1|$2" in
${values.join('\n')}
    *) REPLY= ;;
  esac
}
_mesh() {
  local cur prev path= i w REPLY subs opts valopts pods files
  local -a kube=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" == -* ]]; then
      _mesh_spec "$path"
      if [[ " $valopts " == *" $w "* ]]; then
        case "$w" in
          -n|--namespace|--context|--kubeconfig) ((i + 1 < COMP_CWORD)) && kube+=("$w" "\${COMP_WORDS[i+1]}") ;;
        esac
        ((i++))
      fi
      continue
    fi
    _mesh_child "$path" "$w"
    [[ -n "$REPLY" ]] && path="$REPLY"
  done
  _mesh_spec "$path"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if ((COMP_CWORD > 1)) && [[ "$prev" == -* && " $valopts " == *" $prev "* ]]; then
    _mesh_values "$path" "$prev"
    if [[ "$REPLY" == @files ]]; then
      COMPREPLY=( $(compgen -f -- "$cur") )
    else
      COMPREPLY=( $(compgen -W "$REPLY" -- "$cur") )
    fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return
  fi
  local words="$subs"
  if ((pods)); then
    words="$words $("\${COMP_WORDS[0]}" __complete pods "\${kube[@]}" 2>/dev/null)"
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  if ((files)); then
    COMPREPLY+=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _mesh mesh kubectl-mesh
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
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      await loadAll();
      if (shell === 'bash') await writeStdout(bashScript(tree(program, '')));
      else await writeStdout((shell === 'zsh' ? zshScript : fishScript)(specs(program)));
    });
  // Asked by the completion scripts: the names of pods with a proxy, one a line; nothing on any failure.
  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'pods')
    .option('-n, --namespace <ns>')
    .option('--context <name>')
    .option('--kubeconfig <file>')
    .action(async (what: string, opts: Record<string, string | undefined>) => {
      if (what !== 'pods') return;
      try {
        const { loadKubeContext } = await import('../kube/config.js');
        const { KubeApi } = await import('../kube/api.js');
        const { listProxyPods } = await import('../kube/pods.js');
        const kube = loadKubeContext({
          kubeconfig: opts.kubeconfig,
          context: opts.context,
          namespace: opts.namespace,
        });
        const pods = await listProxyPods(new KubeApi(kube, COMPLETION_TIMEOUT_MS), kube.namespace);
        await writeStdout(pods.map((p) => `${p.metadata?.name}\n`).join(''));
      } catch {
        // A completion that cannot reach the cluster offers no pod names; it never prints an error.
      }
    });
}

/** How long a <TAB> may wait for the cluster. */
const COMPLETION_TIMEOUT_MS = 2000;
