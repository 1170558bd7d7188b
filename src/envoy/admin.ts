/**
 * A small client for one Envoy admin endpoint (`http://host:15000`, usually through a port-forward):
 * `/config_dump` (include_eds, resource, mask, name_regex), `/clusters?format=json`, `/logging`,
 * `/certs`, `/server_info`. Every failure is one line naming the endpoint: connection refused, no answer
 * in time, a status other than 200, a body cut short, or an answer that is not JSON.
 */
import http from 'node:http';
import https from 'node:https';
import { deadline } from '../util/duration.js';
import { ExitCode, MeshError, firstLine } from '../util/errors.js';
import { ConfigDump, describeJsonError } from './dump.js';
import { redactPassword } from '../util/url.js';

export interface ConfigDumpQuery {
  includeEds?: boolean;
  /** One repeated field of a section, e.g. `dynamic_active_clusters` (Envoy returns its elements). */
  resource?: string;
  /** A field mask applied to each section (or element, with `resource`). */
  mask?: string;
  /** Only resources whose name matches this regular expression. */
  nameRegex?: string;
}

export interface AdminClientOptions {
  baseUrl: string;
  timeoutMs: number;
  /** How errors name the proxy (`pod.namespace`); defaults to the base URL. */
  label?: string;
}

type Query = Record<string, string | boolean | undefined>;

export class AdminClient {
  readonly baseUrl: string;
  readonly label: string;
  private readonly timeoutMs: number;

  constructor(opts: AdminClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs;
    this.label = opts.label ?? redactPassword(this.baseUrl);
  }

  url(path: string, query: Query = {}): string {
    const params = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== false)
      .map(([k, v]) =>
        v === true
          ? `${encodeURIComponent(k)}=true`
          : `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`,
      );
    return `${this.baseUrl}/${path.replace(/^\//, '')}${params.length ? `?${params.join('&')}` : ''}`;
  }

  /** The body of a GET (or POST) answered with 200, as text. */
  request(method: 'GET' | 'POST', path: string, query: Query = {}): Promise<string> {
    const url = this.url(path, query);
    const what = `${method === 'POST' ? 'POST ' : ''}/${path.replace(/^\//, '')}`;
    const fail = (msg: string) => new MeshError(`Envoy admin ${this.label}: ${what}: ${msg}`);
    const transport = url.startsWith('https:') ? https : http;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, body?: string) => {
        if (settled) return;
        settled = true;
        cancel();
        if (err) reject(err);
        else resolve(body!);
      };
      const req = transport.request(url, { method, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          received += c.length;
        });
        const cut = () => fail(`connection closed after ${received} bytes of the answer (truncated)`);
        res.on('error', () => done(cut()));
        res.on('aborted', () => done(cut()));
        res.on('close', () => {
          if (!res.complete) done(cut());
        });
        res.on('end', () => {
          if (!res.complete) return done(cut());
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            const first = firstLine(body);
            return done(fail(`unexpected status code: ${res.statusCode}${first ? ` (${first})` : ''}`));
          }
          done(null, body);
        });
      });
      const cancel = deadline(this.timeoutMs, () => {
        req.destroy();
        done(fail(`no answer within ${this.timeoutMs / 1000}s`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const reason =
          err.code === 'ECONNREFUSED'
            ? 'connection refused'
            : err.code === 'ECONNRESET'
              ? 'connection reset before an answer'
              : err.code === 'ENOTFOUND'
                ? 'host not found'
                : err.message;
        done(fail(reason));
      });
      req.end();
    });
  }

  /** A GET whose body must be JSON. */
  async getJson(path: string, query: Query = {}): Promise<unknown> {
    const raw = await this.request('GET', path, query);
    try {
      return JSON.parse(raw);
    } catch {
      throw new MeshError(
        `Envoy admin ${this.label}: /${path}: answer is not JSON: ${describeJsonError(raw)}`,
        {
          exitCode: ExitCode.DATA,
        },
      );
    }
  }

  /** `/config_dump`, parsed once into the dump model. */
  async configDump(q: ConfigDumpQuery = {}): Promise<ConfigDump> {
    const raw = await this.request('GET', 'config_dump', {
      include_eds: q.includeEds,
      resource: q.resource,
      mask: q.mask,
      name_regex: q.nameRegex,
    });
    return ConfigDump.parse(raw, `${this.label} /config_dump`);
  }

  /** `/clusters?format=json` (admin.v3.Clusters). */
  clusters(): Promise<unknown> {
    return this.getJson('clusters', { format: 'json' });
  }

  /** `/certs` (admin.v3.Certificates). */
  certs(): Promise<unknown> {
    return this.getJson('certs');
  }

  /** `/server_info` (admin.v3.ServerInfo). */
  serverInfo(): Promise<unknown> {
    return this.getJson('server_info');
  }

  /**
   * `/logging`: without arguments lists the active loggers; `{level: 'debug'}` sets all, `{<logger>: level}`
   * one logger. Envoy only accepts POST here, even for listing; the answer is the resulting listing.
   */
  logging(query: Record<string, string> = {}): Promise<string> {
    return this.request('POST', 'logging', query);
  }
}
