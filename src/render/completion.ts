/**
 * `mesh completion`'s scripts: the command tree as the shells complete it (commandTree), the bash script
 * that holds it, and the zsh and fish scripts, which ask `mesh __complete words` (completeWords) instead.
 */
import type { Command } from 'commander';
import type { KubeConfigOptions } from '../kube/config.js';

/** One command of the tree, for the bash script: how to read the words after it. */
interface Node {
  /** Canonical path, e.g. `proxy-config cluster` ('' for mesh itself). */
  path: string;
  /** Name and aliases. */
  names: string[];
  /** The first line of the command's description (zsh and fish show it next to the name). */
  description: string;
  options: Array<{
    flags: string[];
    description: string;
    takesValue: boolean;
    values: string[] | 'files' | undefined;
  }>;
  children: Node[];
  /** What a bare word may be here besides a subcommand. */
  args: { pods: boolean; files: boolean; words: string[] };
}

const VALUE_LIST = /([A-Za-z][\w-]*(?:\|[A-Za-z][\w-]*)+)/;
const FILE_VALUE = /<(file|dump|dir|path)/;

/** The command tree under `c` (its path `path`), as the scripts and `completeWords` read it. */
export function commandTree(c: Command, path: string): Node {
  const args = { pods: false, files: false, words: [] as string[] };
  for (const a of c.registeredArguments) {
    if (a.argChoices) args.words.push(...a.argChoices);
    else {
      args.pods ||= /pod/.test(a.description);
      args.files ||= /file|folder/.test(a.description) || !/pod/.test(a.description);
    }
  }
  // What `--help` lists: hidden options (`--no-use-kube`) and commands (`__complete`) are not offered.
  const visible = new Set(c.createHelp().visibleCommands(c));
  return {
    path,
    names: [c.name(), ...c.aliases()],
    description: firstLine(c.description()),
    options: c.options
      .filter((o) => !o.hidden)
      .map((o) => {
        const takesValue = o.required || o.optional;
        const listed = VALUE_LIST.exec(o.description)?.[1];
        return {
          flags: [o.short, o.long].filter((f): f is string => Boolean(f)),
          description: firstLine(o.description),
          takesValue,
          values: !takesValue
            ? undefined
            : (o.argChoices ?? (FILE_VALUE.test(o.flags) ? 'files' : listed?.split('|'))),
        };
      }),
    children: c.commands
      .filter((s) => visible.has(s))
      .map((s) => commandTree(s, path ? `${path} ${s.name()}` : s.name())),
    args,
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
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
          -n|--namespace|--context|-c|--kubeconfig) ((i + 1 < COMP_CWORD)) && kube+=("$w" "\${COMP_WORDS[i+1]}") ;;
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

/** One offer: the word, and what it is (shown by zsh and fish). */
export interface Candidate {
  value: string;
  description: string;
}

/** The flags that carry the cluster to ask for pod names, as typed on the line. */
const KUBE_FLAGS = new Map<string, keyof KubeConfigOptions>([
  ['-n', 'namespace'],
  ['--namespace', 'namespace'],
  ['--context', 'context'],
  ['-c', 'kubeconfig'],
  ['--kubeconfig', 'kubeconfig'],
]);

/**
 * What may stand in the word being completed (the last of `words`, the words typed after `mesh`), as the
 * bash script works it out: the command the earlier words name (aliases too, flags and their values
 * skipped), then that command's flag values, flags, or subcommands, choices, pods and files. `pods` is
 * asked only where a command takes a pod, with the `-n`/`--context`/`--kubeconfig` given on the line.
 * Candidates are not filtered by what is typed: the shell matches them its own way.
 */
export async function completeWords(
  root: Node,
  words: readonly string[],
  pods: (kube: KubeConfigOptions) => Promise<string[]>,
): Promise<{ candidates: Candidate[]; files: boolean }> {
  let node = root;
  const kube: KubeConfigOptions = {};
  const last = words.length - 1;
  const valued = (n: Node, flag: string) => n.options.find((o) => o.takesValue && o.flags.includes(flag));
  for (let i = 0; i < last; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      if (valued(node, w)) {
        const option = KUBE_FLAGS.get(w);
        if (option && i + 1 < last) kube[option] = words[i + 1]!;
        i++;
      }
      continue;
    }
    node = node.children.find((c) => c.names.includes(w)) ?? node;
  }
  const current = words[last] ?? '';
  const valuesOf = (o: Node['options'][number], prefix = '') =>
    o.values === 'files'
      ? { candidates: [], files: true }
      : { candidates: (o.values ?? []).map((v) => ({ value: prefix + v, description: '' })), files: false };
  const prev = last > 0 ? valued(node, words[last - 1]!) : undefined;
  if (prev && words[last - 1]!.startsWith('-')) return valuesOf(prev);
  if (current.startsWith('-')) {
    // `--output=j`: the value of a flag written in one word
    const eq = current.indexOf('=');
    const inline = eq > 0 ? valued(node, current.slice(0, eq)) : undefined;
    if (inline) return valuesOf(inline, current.slice(0, eq + 1));
    const flags = node.options.flatMap((o) => o.flags.map((f) => ({ value: f, description: o.description })));
    return { candidates: [...flags, { value: '--help', description: 'display help' }], files: false };
  }
  const candidates: Candidate[] = [
    ...node.children.flatMap((c) => c.names.map((value) => ({ value, description: c.description }))),
    ...node.args.words.map((value) => ({ value, description: '' })),
  ];
  if (node.args.pods) for (const pod of await pods(kube)) candidates.push({ value: pod, description: 'pod' });
  return { candidates, files: node.args.files };
}

/**
 * zsh: asks `mesh __complete words` (see `completeWords`) on every <TAB>, so subcommands, flags, their
 * values, files and pods are completed at any depth, with descriptions.
 */
export function zshScript(): string {
  return `#compdef mesh kubectl-mesh
_mesh() {
  local -a offers lines
  local line files=0
  lines=("\${(@f)$("\${words[1]}" __complete words -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in "\${lines[@]}"; do
    case "$line" in
      :files) files=1 ;;
      '') ;;
      *$'\\t'*) offers+=("\${\${line%%$'\\t'*}//:/\\:}:\${line#*$'\\t'}") ;;
      *) offers+=("\${line//:/\\:}") ;;
    esac
  done
  (( \${#offers} )) && _describe -t mesh 'mesh' offers
  (( files )) && _files
  return 0
}
# Autoloaded from $fpath this file is the body of _mesh: complete now. Sourced, register the function.
if [[ "\${funcstack[1]}" == _mesh ]]; then
  _mesh "$@"
else
  compdef _mesh mesh kubectl-mesh
fi
`;
}

/** fish: the same query as zsh; fish reads its `value<TAB>description` lines as they are. */
export function fishScript(): string {
  return `# fish completion for mesh (and kubectl-mesh)
function __mesh_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l cmd $tokens[1]
    set -e tokens[1]
    for line in (command $cmd __complete words -- $tokens $current 2>/dev/null)
        switch $line
            case ':files'
                __fish_complete_path $current
            case '*'
                printf '%s\\n' $line
        end
    end
end
complete -c mesh -f -a '(__mesh_complete)'
complete -c kubectl-mesh -f -a '(__mesh_complete)'
`;
}
