import {
  ResponseContext,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { exchange } from '../util/http.js';

/**
 * client-node's requests (typed clients, analyze's lists) sent through mesh's one HTTP exchange rather
 * than node-fetch, which never settled when an answer with a Content-Length was cut short: a read then
 * waited for its deadline, or, with none, mesh exited 0 having printed nothing. Everything else a request
 * carries (URL, method, headers with the credentials, the agent with the TLS material, the body, the
 * abort signal) is client-node's, as it set them.
 */
export const meshHttpLibrary: HttpLibrary = wrapHttpLibrary({
  async send(request: RequestContext): Promise<ResponseContext> {
    const body = request.getBody();
    if (body !== undefined && typeof body !== 'string')
      throw new Error('mesh sends only JSON (string) request bodies to the API server');
    const answer = await exchange(new URL(request.getUrl()), {
      method: request.getHttpMethod(),
      headers: request.getHeaders(),
      agent: request.getAgent(),
      body,
      signal: request.getSignal(),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    return new ResponseContext(answer.status, headers, {
      text: async () => answer.body.toString('utf8'),
      binary: async () => answer.body,
    });
  },
});
