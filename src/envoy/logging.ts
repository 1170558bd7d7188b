/**
 * Envoy log levels (`/logging`): parsing `--level` the way istioctl does and applying it, and the level
 * `--reset` restores.
 */
import { usageError } from '../util/errors.js';
import { ownValue } from '../util/values.js';
import { warn } from '../util/output.js';
import type { AdminClient } from './admin.js';
import type { AccessOptions } from './source.js';

const LEVELS: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warning',
  warn: 'warning',
  error: 'error',
  critical: 'critical',
  off: 'off',
};

export interface LogLevelRequest {
  /** Level for every logger, applied first. */
  global?: string;
  /** Per-logger levels, in the order given. */
  loggers: Array<{ logger: string; level: string }>;
}

/** Envoy's name for a log level (`warn` is `warning`), or undefined when `text` names none. */
export function envoyLevel(text: string): string | undefined {
  return ownValue(LEVELS, text.trim().toLowerCase());
}

function level(text: string): string {
  const l = envoyLevel(text);
  if (!l)
    throw usageError(`unrecognized logging level: ${text}`, `use one of: ${Object.keys(LEVELS).join(', ')}`);
  return l;
}

/** The logger names of Envoy's `/logging` listing (`active loggers:` then one `  <name>: <level>` a line). */
function loggerNames(listing: string): Set<string> {
  const names = new Set<string>();
  for (const line of listing.split('\n')) {
    const m = /^\s*(\S+):\s*\S+\s*$/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/**
 * `--level` syntax: comma-separated items; `<level>` alone sets every logger, `[ns::]logger:level` or
 * `logger=level` one logger. Logger names are checked against Envoy's listing before levels, as istioctl
 * does, and whole names only: a part of one (`ctive`, `a`) would pass here and fail at Envoy after the
 * global level had already been changed.
 */
export function parseLogLevels(spec: string, listing: string): LogLevelRequest {
  const known = loggerNames(listing);
  const req: LogLevelRequest = { loggers: [] };
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const sep = Math.max(item.lastIndexOf(':'), item.lastIndexOf('='));
    if (sep < 0 || item[sep - 1] === ':') {
      req.global = level(item);
      continue;
    }
    let logger = item.slice(0, sep);
    const ns = logger.lastIndexOf('::');
    if (ns >= 0) logger = logger.slice(ns + 2);
    if (!known.has(logger)) throw usageError(`unrecognized logger name: ${logger}`);
    req.loggers.push({ logger, level: level(item.slice(sep + 1)) });
  }
  return req;
}

/** Applies the levels (global first, then each logger) and returns Envoy's final listing. */
export async function applyLogLevels(
  client: AdminClient,
  req: LogLevelRequest,
  listing: string,
): Promise<string> {
  let last = listing;
  if (req.global) last = await client.logging({ level: req.global });
  for (const { logger, level: l } of req.loggers) last = await client.logging({ [logger]: l });
  return last;
}

/** The default level `--reset` restores when the injector's `global.proxy.logLevel` is unknown. */
export const DEFAULT_PROXY_LOG_LEVEL = 'warning';

/**
 * `proxy-config log --reset`: the injector's `global.proxy.logLevel` (from the cluster of `access`), or
 * `warning` when it cannot be read, with a warning saying why.
 */
export async function resetLogLevel(access: AccessOptions, istioNamespace: string): Promise<string> {
  if (access.adminUrl !== undefined) {
    warn(
      `Warning: no cluster access with --admin-url; resetting to the default level "${DEFAULT_PROXY_LOG_LEVEL}"`,
    );
    return DEFAULT_PROXY_LOG_LEVEL;
  }
  try {
    const { loadKubeContext } = await import('../kube/config.js');
    const { KubeApi } = await import('../kube/api.js');
    const { injectorProxyLogLevel } = await import('../kube/injector.js');
    const api = new KubeApi(loadKubeContext(access), access.timeoutMs);
    const level = await injectorProxyLogLevel(api, istioNamespace);
    // one level for every logger (the cluster's data, not a --level the user typed: never a logger list)
    if (level !== undefined && envoyLevel(level) !== undefined) return level;
    if (level !== undefined)
      warn(
        `Warning: global.proxy.logLevel ${JSON.stringify(level)} in istio-sidecar-injector is not an Envoy log level; resetting to "${DEFAULT_PROXY_LOG_LEVEL}"`,
      );
    else
      warn(
        `Warning: global.proxy.logLevel is not set in istio-sidecar-injector; resetting to "${DEFAULT_PROXY_LOG_LEVEL}"`,
      );
  } catch (err) {
    warn(
      `Warning: cannot read the istio-sidecar-injector ConfigMap (${(err as Error).message}); resetting to "${DEFAULT_PROXY_LOG_LEVEL}"`,
    );
  }
  return DEFAULT_PROXY_LOG_LEVEL;
}
