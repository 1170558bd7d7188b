/**
 * An HTTPS server at a kubeconfig's address that is not a Kubernetes API server: every request gets
 * 200 with an HTML page (what a corporate proxy's login page or another web service answers), for the
 * commands' handling of a success answer that is not JSON.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLoopbackServingCert } from './certs.js';
import { writeKubeconfig } from './silent-server.js';

export const LOGIN_PAGE = '<html><body>Please log in</body></html>';

export interface HtmlServer {
  url: string;
  kubeconfig: string;
  /** Requests answered so far (method and path). */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startHtmlServer(): Promise<HtmlServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-html-'));
  const { certFile, keyFile } = writeLoopbackServingCert(dir, 'html');
  const requests: string[] = [];
  const server = https.createServer(
    { key: readFileSync(keyFile), cert: readFileSync(certFile) },
    (req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(LOGIN_PAGE),
      });
      res.end(LOGIN_PAGE);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = writeKubeconfig(dir, 'html', url, certFile);
  return {
    url,
    kubeconfig,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
