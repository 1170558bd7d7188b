import { Argument, type Command } from 'commander';
import type { KubeConfigOptions } from '../kube/config.js';
import { writeStdout } from '../util/output.js';
import { bashScript, commandTree, completeWords, fishScript, zshScript } from '../render/completion.js';

/** The names of the pods with a proxy in the namespace of the line's flags or context; none on any failure. */
async function podNames(opts: KubeConfigOptions): Promise<string[]> {
  const { proxyPodNames } = await import('../kube/pods.js');
  return proxyPodNames(opts, COMPLETION_TIMEOUT_MS);
}

export function register(program: Command, loadAll: () => Promise<void>): void {
  program
    .command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      await loadAll();
      if (shell === 'bash') await writeStdout(bashScript(commandTree(program, '')));
      else await writeStdout(shell === 'zsh' ? zshScript() : fishScript());
    });
  // Asked by the completion scripts. `pods`: the names of pods with a proxy, one a line, nothing on any
  // failure (bash). `words -- <word>...`: the offers for the last word, `value<TAB>description` a line,
  // then `:files` when file names fit there too (zsh, fish).
  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'pods or words')
    .argument('[words...]', 'the words after mesh, the last one being completed')
    .option('-n, --namespace <ns>')
    .option('--context <name>')
    .option('-c, --kubeconfig <file>')
    .action(async (what: string, words: string[], opts: KubeConfigOptions) => {
      if (what === 'pods') {
        await writeStdout((await podNames(opts)).map((name) => `${name}\n`).join(''));
      } else if (what === 'words') {
        await loadAll();
        const { candidates, files } = await completeWords(commandTree(program, ''), words, podNames);
        const lines = candidates.map((c) => (c.description ? `${c.value}\t${c.description}` : c.value));
        await writeStdout(lines.map((l) => `${l}\n`).join('') + (files ? ':files\n' : ''));
      }
    });
}

/** How long a <TAB> may wait for the cluster. */
const COMPLETION_TIMEOUT_MS = 2000;
