/**
 * istioctl's `--kubeclient-timeout` on every command that reads the cluster: the deadline of each request
 * to the Kubernetes API server. Set once per run from the command line, before the command's action (as
 * the impersonation flags are); when given it replaces, for those requests, the command's `--timeout`.
 * `analyze` has the flag as its own option, beside its whole-read `--timeout`.
 */
let current: number | undefined;

export function setKubeClientTimeout(ms: number | undefined): void {
  current = ms;
}

/** The deadline of each API server request, and the flag that sets it (for the hint of a timeout error). */
export function apiRequestTimeout(commandTimeoutMs: number): { ms: number; flag: string } {
  return current === undefined
    ? { ms: commandTimeoutMs, flag: '--timeout' }
    : { ms: current, flag: '--kubeclient-timeout' };
}
