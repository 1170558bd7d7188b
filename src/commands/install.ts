import type { Command } from 'commander';
import { usageError } from '../util/errors.js';
import { parseDuration, parseWindow } from '../util/duration.js';
import { addSpecOptions, specFromOptions } from '../install/inputs.js';
import type { CheckLimits } from '../kube/health-run.js';
import { controlPlaneOptions, withXdsFlags } from './control-plane-flags.js';
import { collect } from '../util/flags.js';
import { addClusterOptions, clusterOptions } from './kube-flags.js';

function addApplyOptions(cmd: Command): Command {
  return addClusterOptions(addSpecOptions(cmd))
    .option('-y, --skip-confirmation', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan (create / change with changed fields / prune) and change nothing')
    .option('--force', 'take over fields other field managers own (server-side apply conflicts)')
    .option('--readiness-timeout <duration>', 'how long to wait for each component to become ready', '5m')
    .option('--concurrency <n>', 'objects applied at the same time', '8')
    .option('--verify', "then run check's control-plane checks (istioctl's --verify); exit 79 on a problem");
}

export function register(program: Command): void {
  registerApply(program, 'install', 'Install or update the control plane (shows the plan first)');
}

export function registerUpgrade(program: Command): void {
  registerApply(
    program,
    'upgrade',
    'Upgrade the control plane in place (same as install; shows the version change)',
  );
}

function registerApply(program: Command, verb: 'install' | 'upgrade', description: string): void {
  addApplyOptions(program.command(verb).description(description)).action(async (opts) => {
    process.exitCode = await runInstall(opts, verb);
  });
}

export function registerUninstall(program: Command): void {
  addClusterOptions(
    program
      .command('uninstall')
      .description(
        'Delete the objects mesh installed for a revision in an install namespace (or everything mesh installed there, with --purge)',
      )
      .option('-r, --revision <name>', 'revision to remove (default: "default")')
      .option(
        '-f, --filename <file>',
        'IstioOperator file whose revision and namespace to remove (repeatable, merged left to right; - = stdin)',
        collect,
        [],
      )
      .option(
        '-s, --set <path=value>',
        'a spec field, as for install: --set revision=canary, --set namespace=istio-two (repeatable)',
        collect,
        [],
      )
      .option(
        '--purge',
        'remove every object mesh installed in istio-system, including CRDs and base objects',
      )
      .option('-y, --skip-confirmation', 'do not ask for confirmation')
      .option('--dry-run', 'list what would be deleted and delete nothing')
      .option('--wait <duration>', 'how long to wait until the deleted objects are gone', '5m')
      .option('--no-wait', 'return once the server accepted the deletes'),
  ).action(async (opts) => {
    process.exitCode = await runUninstall(opts);
  });
}

export function registerManifestDiff(manifest: Command): void {
  addClusterOptions(
    addSpecOptions(
      manifest
        .command('diff')
        .description(
          'Plan against the live cluster: what install would create, change, prune (exit 79 if anything)',
        ),
    ),
  )
    .option('--force', 'plan as if taking over fields other managers own')
    .action(async (opts) => {
      process.exitCode = await runInstall({ ...opts, dryRun: true }, 'diff');
    });
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`invalid ${flag} "${v}"`, 'use a positive integer');
  return n;
}

/** install, upgrade and manifest diff: their flags parsed, then the run (src/install/run.ts). */
async function runInstall(opts: Record<string, any>, verb: 'install' | 'upgrade' | 'diff'): Promise<number> {
  const readinessTimeoutMs = parseDuration(opts.readinessTimeout ?? '5m', '--readiness-timeout');
  const concurrency = positiveInt(opts.concurrency ?? '8', '--concurrency');
  const spec = await specFromOptions(opts as any);
  const run = await import('../install/run.js');
  return run.runInstall(
    {
      ...clusterOptions(opts),
      spec,
      readinessTimeoutMs,
      concurrency,
      force: opts.force,
      dryRun: opts.dryRun,
      verify: opts.verify,
      skipConfirmation: opts.skipConfirmation,
    },
    verb,
  );
}

/**
 * What uninstall removes: the revision (`-r`, else the one the `-f` files and `--set` flags give, as
 * istioctl's `uninstall -f iop.yaml`, else `default`; with `--purge` every revision, `-r` naming only
 * the one the warning about workloads is about) and, when files or flags describe the install, its
 * namespace (`spec.namespace`, default istio-system): then only that install's objects are selected, and
 * another namespace's control plane of the same revision is not this uninstall's to delete. With `-r`
 * alone (or nothing, or `--purge`, which takes no files or flags) the revision is removed wherever mesh
 * installed it, as before.
 */
async function uninstallTarget(
  opts: Record<string, any>,
): Promise<{ revision: string; namespace: string | undefined }> {
  const fromSpec = opts.filename.length > 0 || opts.set.length > 0;
  if (opts.purge && fromSpec)
    throw usageError(
      '--purge removes everything mesh installed: it takes no -f or --set',
      'to remove the revision a file names, drop --purge',
    );
  if (!fromSpec) {
    // a name no install can have (`-r Canary`, `-r 'a b'`) is a typo, not "nothing to remove"
    const { checkRevision } = await import('../install/spec.js');
    checkRevision(String(opts.revision ?? ''));
    return { revision: opts.revision || 'default', namespace: undefined };
  }
  const spec = await specFromOptions(opts as any);
  return { revision: spec.revision || 'default', namespace: spec.namespace };
}

/** uninstall: its flags parsed, then the run (src/kube/uninstall.ts). */
async function runUninstall(opts: Record<string, any>): Promise<number> {
  const waitMs = opts.wait === false ? 0 : parseDuration(opts.wait ?? '5m', '--wait');
  const { revision, namespace } = await uninstallTarget(opts);
  const uninstall = await import('../kube/uninstall.js');
  return uninstall.runUninstall({
    ...clusterOptions(opts),
    revision,
    namespace,
    purge: opts.purge,
    dryRun: opts.dryRun,
    skipConfirmation: opts.skipConfirmation,
    waitMs,
  });
}

function registerHealth(program: Command, name: 'precheck' | 'check', description: string): void {
  const cmd = addClusterOptions(addSpecOptions(program.command(name).description(description))).option(
    '-o, --output <format>',
    'output format: text|json',
    'text',
  );
  if (name === 'precheck')
    cmd.option('--force', "check install --force's plan (taking over what other field managers own)");
  if (name === 'check')
    withXdsFlags(cmd)
      .option(
        '--stale-after <duration>',
        'a proxy that has not acknowledged a push for this long is reported',
        '1m',
      )
      .option('--cert-warn <duration>', 'warn about CA certificates expiring within this window', '30d')
      .option('--skip-proxies', 'do not ask istiod about its proxies (no port-forward to istiod)', false)
      .option(
        '--wait <duration>',
        'while a check fails, run the checks again (every 2s) for at most this long (0: once)',
        '0s',
      );
  cmd.action(async (opts) => {
    const { parseOutputFormat } = await import('../util/output.js');
    const format = parseOutputFormat(opts.output, ['text', 'json'] as const, 'text');
    const spec = await specFromOptions(opts as any);
    // check's own flags are usage errors before anything connects
    const limits = name === 'check' ? await checkLimits(opts, spec.namespace) : undefined;
    const { runHealth } = await import('../kube/health-run.js');
    process.exitCode = await runHealth(name, {
      ...clusterOptions(opts),
      format,
      spec,
      limits,
      force: opts.force,
    });
  });
}

/** The flags of `mesh check`'s certificate and proxy sync groups, parsed and validated. */
async function checkLimits(opts: Record<string, any>, istioNamespace: string): Promise<CheckLimits> {
  const timeoutMs = parseDuration(opts.timeout, '--timeout');
  const { validateControlPlaneOptions } = await import('../xds-client/control-plane.js');
  const controlPlane = controlPlaneOptions({ ...opts, istioNamespace }, timeoutMs);
  if (!opts.skipProxies) validateControlPlaneOptions(controlPlane);
  return {
    istioNamespace,
    timeoutMs,
    warnMs: parseWindow(opts.certWarn, '--cert-warn'),
    staleAfterMs: parseDuration(opts.staleAfter, '--stale-after'),
    waitMs: parseDuration(opts.wait, '--wait'),
    controlPlane: opts.skipProxies ? undefined : controlPlane,
  };
}

export function registerPrecheck(program: Command): void {
  registerHealth(
    program,
    'precheck',
    'Check a cluster before installing: version, permissions, existing installs, conflicts (exit 79 on a problem)',
  );
}

export function registerCheck(program: Command): void {
  registerHealth(
    program,
    'check',
    'Health of the installed control plane: workloads, webhooks, CRDs, injection, CA certificates, proxy sync (exit 79 on a problem)',
  );
}
