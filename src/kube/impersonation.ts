/**
 * kubectl's and istioctl's `--as`, `--as-group`, `--as-uid`: every request to the API server is made as
 * another user (the kubeconfig's user needs RBAC's `impersonate` verb). Set once per run from the command
 * line, before the command's action, and applied to every kubeconfig mesh loads.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { usageError } from '../util/errors.js';

export interface Impersonation {
  user: string;
  group?: string;
  uid?: string;
}

let current: Impersonation | undefined;

/** The flags' values, checked as kubectl checks them; undefined when none is given. */
export function impersonationFrom(opts: {
  as?: string;
  asGroup?: string[];
  asUid?: string;
}): Impersonation | undefined {
  const groups = opts.asGroup ?? [];
  if (opts.as === undefined) {
    if (groups.length > 0 || opts.asUid !== undefined)
      throw usageError('--as-group and --as-uid need --as (the user to impersonate)');
    return undefined;
  }
  if (opts.as === '') throw usageError('--as needs a user name');
  // Several groups travel as several header lines; part of mesh's requests go through fetch, which joins
  // them into one line the API server would read as a single group named "a,b".
  if (groups.length > 1) throw usageError('give at most one --as-group');
  return { user: opts.as, group: groups[0], uid: opts.asUid };
}

export function setImpersonation(i: Impersonation | undefined): void {
  current = i;
}

/**
 * Who the requests are made as, for a message: `the impersonated user "alice"` (`…, group "devs",`) with
 * `--as` (and `--as-group`), named as the API server names the user in a refusal; else the user of
 * `context`.
 */
export function requestUser(context: string): string {
  if (!current) return `the user of context "${context}"`;
  return `the impersonated user "${current.user}"${current.group !== undefined ? `, group "${current.group}",` : ''}`;
}

/**
 * Adds the impersonation headers to every request made with `kc` (typed clients, raw requests and the
 * port-forward WebSocket all take their headers from KubeConfig's per-request HTTPS options).
 */
export function applyImpersonation(kc: KubeConfig): void {
  if (!current) return;
  const headers: Record<string, string> = { 'Impersonate-User': current.user };
  if (current.group !== undefined) headers['Impersonate-Group'] = current.group;
  if (current.uid !== undefined) headers['Impersonate-Uid'] = current.uid;
  // client-node applies the user's own credentials in this (private) step of every request's options.
  const target = kc as unknown as { applyHTTPSOptions(opts: { headers?: Record<string, unknown> }): void };
  const base = target.applyHTTPSOptions.bind(kc);
  target.applyHTTPSOptions = (opts) => {
    base(opts);
    opts.headers = { ...opts.headers, ...headers };
  };
}
