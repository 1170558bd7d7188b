/**
 * A stand-in for Envoy's admin API (node:http on 127.0.0.1, random port) serving real config dumps with
 * Envoy's query semantics:
 * - `/config_dump`: EndpointsConfigDump only with `include_eds`; `mask=a,b.c` keeps those fields of every
 *   section (each still tagged with its `@type`); `resource=<repeated field>` returns the elements of that
 *   field as separate configs (mask applied per element; 404 when no section has the field);
 *   `name_regex` filters resources by name. Bodies are indented with one space, like Envoy's.
 * - `/clusters?format=json` (admin.v3.Clusters) and the text form, from `clusters` or derived from the
 *   dump's clusters and EDS sections.
 * - `/certs` (admin.v3.Certificates) derived from the dump's SDS secrets.
 * - `/logging`: POST only (GET is 405, as in Envoy); `?level=L` sets every logger, `?<logger>=L` one.
 * - `/server_info`, `/ready`.
 * Several proxies can share one server (`proxies`): each is served under `/<id>`, so the base URL of
 * proxy `id` is `<url>/<id>`. Faults (close mid-body, truncate, garbage, status, delay) test bad input.
 */
import http from 'node:http';
import type net from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONFORMANCE = join(import.meta.dirname, '../../../shared/conformance/istioctl-proxy');

export interface Fault {
  /**
   * `stall-mid-body`: half the answer, then nothing, the connection left open (a proxy that hangs
   * part-way, or a port-forward that never passes on the close of the connection behind it).
   */
  kind: 'close-mid-body' | 'stall-mid-body' | 'truncate' | 'garbage' | 'status' | 'delay';
  status?: number;
  delayMs?: number;
  /** Only requests whose path starts with one of these (default: all). */
  paths?: string[];
}

export interface ProxyOptions {
  /** Parsed config dump (`{configs: [...]}`) or its text. */
  dump?: any;
  /** admin.v3.Clusters for `/clusters?format=json` (default: derived from the dump). */
  clusters?: any;
  /** Logger listing (`/logging` text) to start from (default: the conformance logging.txt). */
  logging?: string;
  fault?: Fault;
}

export interface AdminServer {
  url: string;
  /** Base URL of a proxy in multi-proxy mode. */
  urlOf(id: string): string;
  /** `METHOD /path?query` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const ELEMENT_TYPES: Record<string, string> = {
  static_clusters: 'ClustersConfigDump.StaticCluster',
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  static_listeners: 'ListenersConfigDump.StaticListener',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  static_route_configs: 'RoutesConfigDump.StaticRouteConfig',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  static_secrets: 'SecretsConfigDump.StaticSecret',
  dynamic_active_secrets: 'SecretsConfigDump.DynamicSecret',
  dynamic_warming_secrets: 'SecretsConfigDump.DynamicSecret',
  static_endpoint_configs: 'EndpointsConfigDump.StaticEndpointConfig',
  dynamic_endpoint_configs: 'EndpointsConfigDump.DynamicEndpointConfig',
  ecds_filters: 'EcdsConfigDump.EcdsFilterConfig',
};

/** Reads a conformance fixture (path relative to shared/conformance/istioctl-proxy). */
export function conformanceDump(rel: string): any {
  return JSON.parse(readFileSync(join(CONFORMANCE, rel), 'utf8'));
}

function resourceName(el: any): string {
  return (
    el?.name ??
    el?.cluster?.name ??
    el?.listener?.name ??
    el?.active_state?.listener?.name ??
    el?.route_config?.name ??
    el?.endpoint_config?.cluster_name ??
    el?.ecds_filter?.name ??
    ''
  );
}

/** FieldMask semantics for the fields of one message: keep only the listed (possibly nested) paths. */
function applyMask(msg: any, paths: string[] | undefined): any {
  if (!paths) return msg;
  const out: any = {};
  for (const p of paths) {
    const parts = p.split('.');
    let src = msg;
    let dst = out;
    for (let i = 0; i < parts.length; i++) {
      const k = parts[i]!;
      if (src === null || typeof src !== 'object' || !(k in src)) break;
      if (i === parts.length - 1) dst[k] = src[k];
      else {
        dst[k] ??= {};
        dst = dst[k];
        src = src[k];
      }
    }
  }
  return out;
}

function configDump(dump: any, q: URLSearchParams): { status: number; body: string } {
  const sections: any[] = (dump?.configs ?? []).filter(
    (s: any) => q.has('include_eds') || s['@type'] !== `${ADMIN}EndpointsConfigDump`,
  );
  const mask = q.get('mask')?.split(',').filter(Boolean);
  const regex = q.get('name_regex') ? new RegExp(q.get('name_regex')!) : undefined;
  const resource = q.get('resource');
  const keep = (el: any) => !regex || regex.test(resourceName(el));
  let configs: any[];
  if (resource) {
    const holders = sections.filter((s) => Array.isArray(s[resource]));
    if (holders.length === 0) return { status: 404, body: `The resource ${resource} was not found\n` };
    configs = holders.flatMap((s) =>
      s[resource].filter(keep).map((el: any) => ({
        '@type': ADMIN + (ELEMENT_TYPES[resource] ?? `${s['@type'].slice(ADMIN.length)}.${resource}`),
        ...applyMask(el, mask),
      })),
    );
  } else {
    configs = sections.map((s) => {
      const { '@type': type, ...rest } = s;
      const filtered = Object.fromEntries(
        Object.entries(rest).map(([k, v]) => [
          k,
          Array.isArray(v) && k in ELEMENT_TYPES ? v.filter(keep) : v,
        ]),
      );
      return { '@type': type, ...applyMask(filtered, mask) };
    });
  }
  return { status: 200, body: JSON.stringify({ configs }, null, 1) };
}

function section(dump: any, type: string): any {
  return (dump?.configs ?? []).find((s: any) => s['@type'] === ADMIN + type);
}

function derivedClusters(dump: any): any {
  const eds = section(dump, 'EndpointsConfigDump');
  const hostsOf = (name: string) =>
    [...(eds?.static_endpoint_configs ?? []), ...(eds?.dynamic_endpoint_configs ?? [])]
      .map((d: any) => d.endpoint_config)
      .filter((c: any) => c?.cluster_name === name)
      .flatMap((c: any) => c.endpoints ?? [])
      .flatMap((e: any) => e.lb_endpoints ?? [])
      .map((lb: any) => ({
        address: lb.endpoint?.address,
        health_status: { eds_health_status: lb.health_status ?? 'HEALTHY' },
        weight: lb.load_balancing_weight ?? 1,
      }));
  const cds = section(dump, 'ClustersConfigDump');
  const clusters = [...(cds?.static_clusters ?? []), ...(cds?.dynamic_active_clusters ?? [])];
  return {
    cluster_statuses: clusters.map((c: any) => ({
      name: c.cluster?.name,
      added_via_api: c.version_info !== undefined,
      host_statuses: hostsOf(c.cluster?.name),
    })),
  };
}

function clustersText(clusters: any): string {
  const lines: string[] = [];
  for (const c of clusters.cluster_statuses ?? []) {
    lines.push(
      `${c.name}::observability_name::${c.name}`,
      `${c.name}::added_via_api::${Boolean(c.added_via_api)}`,
    );
    for (const h of c.host_statuses ?? []) {
      const a = h.address?.socket_address;
      const host = a ? `${a.address}:${a.port_value}` : 'unknown';
      lines.push(
        `${c.name}::${host}::health_flags::${h.health_status?.eds_health_status === 'HEALTHY' ? 'healthy' : '/failed_eds_health'}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function certDetails(pem: string): any[] {
  return (pem.match(PEM) ?? []).map((block) => {
    const c = new X509Certificate(block);
    const notAfter = new Date(c.validTo);
    return {
      path: '<inline>',
      serial_number: c.serialNumber.toLowerCase(),
      subject_alt_names: (c.subjectAltName ?? '')
        .split(', ')
        .filter(Boolean)
        .map((s) => (s.startsWith('URI:') ? { uri: s.slice(4) } : { dns: s.replace(/^DNS:/, '') })),
      days_until_expiration: String(Math.max(0, Math.floor((notAfter.getTime() - Date.now()) / 86_400_000))),
      valid_from: new Date(c.validFrom).toISOString(),
      expiration_time: notAfter.toISOString(),
    };
  });
}

function derivedCerts(dump: any): any {
  const secrets = section(dump, 'SecretsConfigDump')?.dynamic_active_secrets ?? [];
  const text = (ds: any) =>
    ds?.inline_bytes ? Buffer.from(ds.inline_bytes, 'base64').toString('utf8') : (ds?.inline_string ?? '');
  const chain = secrets.map((s: any) => text(s.secret?.tls_certificate?.certificate_chain)).join('');
  const roots = secrets.map((s: any) => text(s.secret?.validation_context?.trusted_ca)).join('');
  if (!chain && !roots) return { certificates: [] };
  return { certificates: [{ ca_cert: certDetails(roots), cert_chain: certDetails(chain) }] };
}

const LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'];

class Proxy {
  dump: any;
  loggers = new Map<string, string>();
  constructor(readonly opts: ProxyOptions) {
    this.dump = typeof opts.dump === 'string' ? undefined : opts.dump;
    const listing =
      opts.logging ??
      readFileSync(join(CONFORMANCE, 'istioctl/pkg/writer/envoy/logging/testdata/logging.txt'), 'utf8');
    for (const m of listing.matchAll(/^ {2}(\S+): (\S+)$/gm)) this.loggers.set(m[1]!, m[2]!);
  }

  private rawDump(q: URLSearchParams): { status: number; body: string } {
    if (typeof this.opts.dump === 'string') return { status: 200, body: this.opts.dump };
    return configDump(this.dump, q);
  }

  private loggingListing(): string {
    return `active loggers:\n${[...this.loggers].map(([k, v]) => `  ${k}: ${v}\n`).join('')}`;
  }

  handle(method: string, path: string, q: URLSearchParams): { status: number; body: string; type?: string } {
    switch (path) {
      case '/config_dump':
        return { ...this.rawDump(q), type: 'application/json' };
      case '/clusters': {
        const clusters = this.opts.clusters ?? derivedClusters(this.dump);
        return q.get('format') === 'json'
          ? { status: 200, body: JSON.stringify(clusters, null, 1), type: 'application/json' }
          : { status: 200, body: clustersText(clusters) };
      }
      case '/certs':
        return {
          status: 200,
          body: JSON.stringify(derivedCerts(this.dump), null, 1),
          type: 'application/json',
        };
      case '/logging': {
        if (method !== 'POST') return { status: 405, body: `Method ${method} not allowed, POST required.` };
        const usage =
          'usage: /logging?<name>=<level> (change single level)\n/logging?level=<level> (change all levels)\n';
        for (const [k, v] of q) {
          if (!LEVELS.includes(v)) return { status: 404, body: usage };
          const level = v === 'warn' ? 'warning' : v;
          if (k === 'level') for (const name of this.loggers.keys()) this.loggers.set(name, level);
          else if (this.loggers.has(k)) this.loggers.set(k, level);
          else return { status: 404, body: usage };
        }
        return { status: 200, body: this.loggingListing() };
      }
      case '/server_info': {
        const bootstrap = section(this.dump, 'BootstrapConfigDump')?.bootstrap;
        return {
          status: 200,
          type: 'application/json',
          body: JSON.stringify(
            {
              version: 'stand-in/1.0.0/Clean/RELEASE/BoringSSL',
              state: 'LIVE',
              hot_restart_version: 'disabled',
              command_line_options: { base_id: '0', concurrency: 2, mode: 'Serve' },
              node: bootstrap?.node ?? {},
              uptime_current_epoch: '3600s',
              uptime_all_epochs: '3600s',
            },
            null,
            1,
          ),
        };
      }
      case '/ready':
        return { status: 200, body: 'LIVE\n' };
      default:
        return {
          status: 404,
          body: 'invalid path. admin commands are:\n  /certs\n  /clusters\n  /config_dump\n  /logging\n  /ready\n  /server_info\n',
        };
    }
  }
}

function send(
  res: http.ServerResponse,
  r: { status: number; body: string; type?: string },
  fault?: Fault,
): void {
  const body = Buffer.from(r.body, 'utf8');
  if (fault?.kind === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('<html><body>502 upstream connect error</body></html>');
  }
  if (fault?.kind === 'status') {
    res.writeHead(fault.status ?? 503, { 'content-type': 'text/plain' });
    return void res.end('fault injected\n');
  }
  if (fault?.kind === 'truncate') {
    const half = body.subarray(0, Math.floor(body.length / 2));
    res.writeHead(r.status, { 'content-type': r.type ?? 'text/plain', 'content-length': half.length });
    return void res.end(half);
  }
  res.writeHead(r.status, { 'content-type': r.type ?? 'text/plain', 'content-length': body.length });
  if (fault?.kind === 'close-mid-body') {
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (fault?.kind === 'stall-mid-body') return void res.write(body.subarray(0, Math.floor(body.length / 2)));
  res.end(body);
}

/** Starts the stand-in: one proxy (`single`) served at the root, and/or several under `/<id>`. */
export async function startEnvoyAdmin(
  single?: ProxyOptions,
  proxies: Record<string, ProxyOptions> = {},
): Promise<AdminServer> {
  const root = single ? new Proxy(single) : undefined;
  const byId = new Map(Object.entries(proxies).map(([id, o]) => [id, new Proxy(o)]));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    let proxy = root;
    let path = url.pathname;
    const m = /^\/([^/]+)(\/.*)$/.exec(path);
    if (m && byId.has(m[1]!)) {
      proxy = byId.get(m[1]!);
      path = m[2]!;
    }
    if (!proxy) return send(res, { status: 404, body: 'no such proxy\n' });
    const fault = proxy.opts.fault;
    const applies = fault && (!fault.paths || fault.paths.some((p) => path.startsWith(p)));
    const answer = () =>
      send(
        res,
        proxy!.handle(req.method ?? 'GET', path, url.searchParams),
        applies && fault?.kind !== 'delay' ? fault : undefined,
      );
    req.resume();
    req.on('end', () =>
      applies && fault?.kind === 'delay' ? setTimeout(answer, fault.delayMs ?? 1000) : answer(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    url,
    urlOf: (id) => `${url}/${id}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
