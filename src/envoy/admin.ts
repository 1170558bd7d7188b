/**
 * A small client for one Envoy admin endpoint (`http://host:15000`, usually through a port-forward):
 * `/config_dump` (include_eds, resource, mask, name_regex), `/clusters?format=json`, `/logging`,
 * `/certs`, `/server_info`. Every failure is one line naming the endpoint: connection refused, no answer
 * in time, a status other than 200, a body cut short, or an answer that is not JSON.
 */
import { AnswerCutError, exchange, ExchangeTimeoutError, type HttpAnswer } from '../util/http.js';
import { ExitCode, MeshError, firstLine } from '../util/errors.js';
import { ConfigDump, describeJsonError } from './dump.js';
import { invalidUtf8At } from '../util/input.js';
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
  async request(method: 'GET' | 'POST', path: string, query: Query = {}): Promise<string> {
    return (await this.requestBytes(method, path, query)).toString('utf8');
  }

  /** The body of a GET (or POST) answered with 200. */
  private async requestBytes(method: 'GET' | 'POST', path: string, query: Query = {}): Promise<Buffer> {
    const what = this.what(method, path);
    const fail = (msg: string) => new MeshError(`Envoy admin ${this.label}: ${what}: ${msg}`);
    let answer: HttpAnswer;
    try {
      // Envoy's admin answers are never gzip: ask for them as they are
      answer = await exchange(new URL(this.url(path, query)), {
        method,
        agent: false,
        timeoutMs: this.timeoutMs,
        headers: { 'Accept-Encoding': 'identity' },
      });
    } catch (err) {
      throw fail(exchangeFailure(err));
    }
    if (answer.status !== 200) {
      const first = firstLine(answer.body.toString('utf8'));
      throw fail(`unexpected status code: ${answer.status}${first ? ` (${first})` : ''}`);
    }
    return answer.body;
  }

  private what(method: 'GET' | 'POST', path: string): string {
    return `${method === 'POST' ? 'POST ' : ''}/${path.replace(/^\//, '')}`;
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
    return ConfigDump.parse(await this.configDumpText(q), `${this.label} /config_dump`);
  }

  /**
   * The text of `/config_dump`; an answer that is not UTF-8 (Envoy writes UTF-8) is refused with its line
   * and column (exit 65), as istioctl refuses it, rather than read with U+FFFD in place of the bytes.
   */
  async configDumpText(q: ConfigDumpQuery = {}): Promise<string> {
    const body = await this.requestBytes('GET', 'config_dump', {
      include_eds: q.includeEds,
      resource: q.resource,
      mask: q.mask,
      name_regex: q.nameRegex,
    });
    const bad = invalidUtf8At(body);
    if (bad !== undefined)
      throw new MeshError(`Envoy admin ${this.label}: /config_dump: ${bad}`, { exitCode: ExitCode.DATA });
    return body.toString('utf8');
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

/** Why an exchange with the admin endpoint failed, in a few words. */
function exchangeFailure(err: unknown): string {
  if (err instanceof AnswerCutError)
    return `connection closed after ${err.received} bytes of the answer (truncated)`;
  // `no answer within 15s`, or `answer incomplete after 15s (700 of 5288 bytes received)`
  if (err instanceof ExchangeTimeoutError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset before an answer';
  if (code === 'ENOTFOUND') return 'host not found';
  const message = err instanceof Error ? err.message : String(err);
  // OpenSSL's words (several lines, with its source file) when an https:// URL reaches a server that
  // answers without TLS, such as Envoy's admin listener
  if (code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(message))
    return "TLS handshake failed: the endpoint answers without TLS (Envoy's admin API is plain HTTP: use http://)";
  return message.trim().split('\n')[0]!;
}
