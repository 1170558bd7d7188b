import { Command, CommanderError } from 'commander';
import { describeError, ExitCode, MeshError, ReaderGoneError } from './util/errors.js';
import { clientVersion } from './util/version.js';
import { addClusterClientFlags } from './commands/kube-flags.js';
import { setImpersonation } from './kube/impersonation.js';
import { pflagArgs } from './util/flags.js';
import { escapeControlKeepLines } from './render/escape.js';

/** Commands and the module that registers each; modules are imported only when needed. */
const COMMANDS: Array<{
  name: string;
  aliases?: string[];
  description: string;
  load: () => Promise<{ register: (p: Command) => void }>;
}> = [
  {
    name: 'analyze',
    description: 'Validate and lint Istio configuration in files, folders or stdin',
    load: () => import('./commands/analyze.js'),
  },
  {
    name: 'authz',
    description: 'Inspect (check) and test (offline) authorization policies',
    load: () => import('./commands/authz.js'),
  },
  {
    name: 'certs',
    description: 'Report workload and root certificate expiry across proxies',
    load: () => import('./commands/certs.js'),
  },
  {
    name: 'check',
    description: 'Health of the installed control plane (workloads, webhooks, CRDs, injection)',
    load: () => import('./commands/install.js').then((m) => ({ register: m.registerCheck })),
  },
  {
    name: 'drift',
    description: 'Replicas of a workload whose proxy config differs from their siblings',
    load: () => import('./commands/drift.js'),
  },
  {
    name: 'install',
    description: 'Install or update the control plane (plan, confirm, apply in order, wait until ready)',
    load: () => import('./commands/install.js'),
  },
  {
    name: 'kube-inject',
    description: 'Add the sidecar to workloads in a file, offline',
    load: () => import('./commands/kube-inject.js'),
  },
  {
    name: 'manifest',
    description: 'Render (generate) or plan (diff) the control plane manifest',
    load: () => import('./commands/manifest.js'),
  },
  {
    name: 'precheck',
    description: 'Check a cluster before installing (version, permissions, existing installs, conflicts)',
    load: () => import('./commands/install.js').then((m) => ({ register: m.registerPrecheck })),
  },
  {
    name: 'proxy-config',
    aliases: ['pc'],
    description: 'Envoy configuration of a proxy: clusters, listeners, routes, endpoints, secrets, …',
    load: () => import('./commands/proxy-config.js'),
  },
  {
    name: 'proxy-status',
    aliases: ['ps'],
    description: 'Sync status of every proxy from istiod, or istiod vs proxy config for one pod',
    load: () => import('./commands/proxy-status.js'),
  },
  {
    name: 'tag',
    description: 'Revision tags: create (set), list, remove or generate aliases of control-plane revisions',
    load: () => import('./commands/tag.js'),
  },
  {
    name: 'uninstall',
    description: 'Remove the objects mesh installed (one revision, or all with --purge)',
    load: () => import('./commands/install.js').then((m) => ({ register: m.registerUninstall })),
  },
  {
    name: 'upgrade',
    description: 'Upgrade the control plane in place (install, showing the version change)',
    load: () => import('./commands/install.js').then((m) => ({ register: m.registerUpgrade })),
  },
  {
    name: 'version',
    description: 'Client, control plane and data plane versions',
    load: () => import('./commands/version.js'),
  },
];

const USAGE_HINT = 'Hint: run with --help for usage';

function buildProgram(): Command {
  const program = new Command('mesh');
  program
    .description('mesh: administration for Istio-compatible service meshes (analyze, proxy-config, certs, …)')
    .version(clientVersion(), '--version', 'print the client version')
    .showHelpAfterError(USAGE_HINT)
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
      // Commander's usage errors read like mesh's own: `Error: …` then `Hint: …`.
      outputError: (s, write) => write(s.replace(/^error: /, 'Error: ')),
    })
    .exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  setImpersonation(undefined); // until this run's flags say otherwise
  const program = buildProgram();
  const args = argv.slice(2);
  const first = args.find((a) => !a.startsWith('-'));
  // Commands built with `new Command()` (proxy-config's) inherit nothing: every command, at any depth,
  // reports usage errors the same way and returns instead of exiting; those that read the cluster take
  // the impersonation flags and --kubeclient-timeout.
  // Every command's flags also take pflag's `=` forms (`--flag=true|false`, `-n=ns`), as istioctl's do.
  // (Each command once: `loadAll` registers more commands while completion runs, and they get the same,
  // so completion offers every flag a command accepts.)
  const treated = new WeakSet<Command>();
  const sameErrors = (parent: Command) => {
    for (const c of parent.commands) {
      if (!treated.has(c)) {
        treated.add(c);
        c.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError(USAGE_HINT);
        addClusterClientFlags(c);
        const parseOptions = c.parseOptions.bind(c);
        c.parseOptions = (argv: string[]) => parseOptions(pflagArgs(c, argv));
      }
      sameErrors(c);
    }
  };
  const loaded = new Set<string>();
  const loadAll = async () => {
    for (const c of COMMANDS) {
      if (loaded.has(c.name)) continue;
      loaded.add(c.name);
      (await c.load()).register(program);
    }
    sameErrors(program);
  };
  const wanted = COMMANDS.find((c) => c.name === first || c.aliases?.includes(first ?? ''));
  if (first === 'completion' || first === '__complete') {
    const { register } = await import('./commands/completion.js');
    register(program, loadAll);
  } else if (first === 'help' || !wanted) {
    await loadAll();
    const { register } = await import('./commands/completion.js');
    register(program, loadAll);
  } else {
    loaded.add(wanted.name);
    (await wanted.load()).register(program);
  }
  // `mesh help nope` printed the general help and exited 0, as if `nope` were a command
  if (first === 'help') {
    const topic = args.slice(args.indexOf('help') + 1).find((a) => !a.startsWith('-'));
    if (
      topic !== undefined &&
      !program.commands.some((c) => c.name() === topic || c.aliases().includes(topic))
    ) {
      process.stderr.write(`Error: unknown command '${topic}'\n${USAGE_HINT}\n`);
      return ExitCode.USAGE;
    }
  }
  sameErrors(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return ExitCode.OK;
      return ExitCode.USAGE;
    }
    // Errors mesh expects (bad input, unreachable proxy, …) are one line, whatever the flags (`--verbose`
    // means more output for several commands, not stack traces). Anything else is a bug: its stack is
    // printed with --verbose or MESH_DEBUG=1, for the report.
    // (messages carry text from inputs and servers: their control characters are shown escaped)
    if (err instanceof ReaderGoneError) return err.exitCode;
    if (err instanceof MeshError) {
      process.stderr.write(`Error: ${escapeControlKeepLines(err.message)}\n`);
      if (err.hint) process.stderr.write(`Hint: ${escapeControlKeepLines(err.hint)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`Error: ${escapeControlKeepLines(describeError(err))}\n`);
    const debug = args.includes('--verbose') || args.includes('-v') || process.env.MESH_DEBUG === '1';
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return ExitCode.RUNTIME;
  }
}
