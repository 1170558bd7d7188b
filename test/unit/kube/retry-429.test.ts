/**
 * A 429 Too Many Requests answer of the API server (API priority and fairness, a rate-limiting proxy)
 * is retried as client-go retries it: after `Retry-After` seconds (1 s when absent, at most 10 s), up to
 * 5 times, within the request's deadline; then the error says how often it was retried. Before, the
 * first 429 was final: `mesh install` stopped halfway (`Error: CustomResourceDefinition/…: Too many
 * requests (already applied 7 object(s) …)`) and `mesh check` printed `× cannot check: Too many requests`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import {
  startFakeApiServer,
  status,
  type Answer,
  type FakeApiServer,
} from '../../support/fake-api-server.js';

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const DEPLOYMENTS = '/apis/apps/v1/deployments';
const tooMany = (retryAfter?: string): Answer => ({
  ...status(429, 'TooManyRequests', 'Too many requests, please try again later.'),
  headers: retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
});

/** An empty cluster whose Deployment list is answered 429 `times` times first. */
async function throttled(times: number, retryAfter?: string): Promise<FakeApiServer> {
  let answered = 0;
  return startFakeApiServer((method, path) => {
    if (path === DEPLOYMENTS && answered < times) {
      answered++;
      return tooMany(retryAfter);
    }
    return undefined;
  });
}

const EMPTY_CLUSTER = [
  'Control plane',
  '-------------',
  '× no control plane installed by mesh in this cluster',
  '    hint: run mesh install',
];

describe('429 Too Many Requests', () => {
  it('is retried after Retry-After: the check reads the list once the server lets it', async () => {
    server = await throttled(2, '0');
    const res = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(res.stderr).toBe('');
    expect(res.stdout.split('\n').slice(0, 5)).toEqual([...EMPTY_CLUSTER, '']);
    expect(res.stdout).not.toContain('Too many requests');
    expect(server.requests.filter((r) => r === `GET ${DEPLOYMENTS}`)).toHaveLength(3);
  });

  it('without Retry-After it waits 1 s and retries', async () => {
    server = await throttled(1);
    const started = Date.now();
    const res = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(res.stdout.split('\n').slice(0, 5)).toEqual([...EMPTY_CLUSTER, '']);
    expect(server.requests.filter((r) => r === `GET ${DEPLOYMENTS}`)).toHaveLength(2);
  });

  it('still 429 after 5 retries: the error says so', async () => {
    server = await throttled(Infinity, '0');
    const res = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(res.stdout.split('\n').slice(0, 4)).toEqual([
      'Control plane',
      '-------------',
      '× cannot check the deployments mesh installed: Too many requests, please try again later. (the API server answered 429 Too Many Requests; retried 5 time(s))',
      '',
    ]);
    expect(server.requests.filter((r) => r === `GET ${DEPLOYMENTS}`)).toHaveLength(6);
    expect(res.code).toBe(79);
  });

  it('a Retry-After past the deadline is not waited for', async () => {
    server = await throttled(Infinity, '10');
    const started = Date.now();
    const res = await runCli([
      'check',
      '--skip-proxies',
      '--timeout',
      '2s',
      '--kubeconfig',
      server.kubeconfig,
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.stdout).toContain(
      '× cannot check the deployments mesh installed: Too many requests, please try again later. (the API server answered 429 Too Many Requests; not retried; the 10s it asks to wait would pass the 2s deadline (--timeout))',
    );
    expect(server.requests.filter((r) => r === `GET ${DEPLOYMENTS}`)).toHaveLength(1);
  });
});
