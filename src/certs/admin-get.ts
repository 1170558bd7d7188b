import http from 'node:http';
import https from 'node:https';

/**
 * GET `<baseUrl>/<path>` from an Envoy admin endpoint and return the body; a status other than 200 is
 * `unexpected status code: N` (as istioctl says), a connection closed before the whole body arrived is
 * reported as such, and no answer within `timeoutMs` is a timeout.
 */
export function adminGet(baseUrl: string, path: string, timeoutMs: number): Promise<string> {
  const url = `${baseUrl}/${path.replace(/^\//, '')}`;
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => reject(new Error(`connection closed before the whole answer of ${url} arrived`)));
      res.on('aborted', () =>
        reject(new Error(`connection closed before the whole answer of ${url} arrived`)),
      );
      res.on('end', () => {
        if (!res.complete)
          return reject(new Error(`connection closed before the whole answer of ${url} arrived`));
        if (res.statusCode !== 200) return reject(new Error(`unexpected status code: ${res.statusCode}`));
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`no answer from ${url} within ${timeoutMs / 1000}s`)),
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ECONNREFUSED' ? new Error(`connection refused by ${url}`) : err),
    );
  });
}
