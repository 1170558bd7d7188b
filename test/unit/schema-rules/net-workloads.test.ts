import { describe, expect, it } from 'vitest';
import { at, checker, paths } from './net-helpers.js';

const we = checker('WorkloadEntry');
const wg = checker('WorkloadGroup');
const pc = checker('ProxyConfig', 'networking.istio.io/v1beta1');

describe('WorkloadEntry semantic rules', () => {
  it('requires an address unless a network is set', () => {
    expect(at(we('  labels: {app: a}\n'), 'spec.address')).toMatchObject({
      level: 'error',
      message: 'address is required (unless network is set)',
    });
    expect(at(we('  network: remote\n'), 'spec.address').level).toBe('warning');
  });

  it('checks addresses, ports and labels', () => {
    expect(at(we('  address: "not a host"\n'), 'spec.address').message).toContain(
      'an IP address or a DNS name',
    );
    const uds = we('  address: unix://var/run/x.sock\n  ports: {http: 8080}\n');
    expect(at(uds, 'spec.address').message).toContain('absolute path');
    expect(at(uds, 'spec.ports').message).toBe('ports cannot be set for a Unix domain socket address');
    const issues = we('  address: 10.0.0.1\n  ports: {HTTP_1: 8080, grpc: 0}\n  labels: {"app": "-bad-"}\n');
    expect(paths(issues)).toEqual(['spec.labels.app', 'spec.ports.HTTP_1', 'spec.ports.grpc']);
  });
});

describe('WorkloadGroup semantic rules', () => {
  it('requires a template and checks its ports and the metadata labels', () => {
    expect(at(wg('  probe: {exec: {command: [true]}}\n'), 'spec.template').message).toBe(
      'template is required',
    );
    const issues = wg('  metadata: {labels: {"a b": c}}\n  template: {ports: {http: 99999}}\n');
    expect(paths(issues)).toEqual(['spec.metadata.labels["a b"]', 'spec.template.ports.http']);
  });

  it('checks the readiness probe', () => {
    const issues = wg(`  template: {}
  probe:
    periodSeconds: -1
    httpGet: {port: 0, scheme: FTP, httpHeaders: [{name: "x_y", value: v}]}
    tcpSocket: {port: 80}
`);
    expect(at(issues, 'spec.probe.periodSeconds').level).toBe('error');
    expect(at(issues, 'spec.probe').message).toBe('probe can use only one of httpGet, tcpSocket');
    expect(at(issues, 'spec.probe.httpGet.port').level).toBe('error');
    expect(at(issues, 'spec.probe.httpGet.scheme').message).toContain('HTTP or HTTPS');
    expect(at(issues, 'spec.probe.httpGet.httpHeaders[0].name').message).toContain('"x_y"');
    expect(at(wg('  template: {}\n  probe: {periodSeconds: 5}\n'), 'spec.probe').message).toContain(
      'probe needs one of',
    );
    expect(at(wg('  template: {}\n  probe: {exec: {}}\n'), 'spec.probe.exec.command').message).toBe(
      'exec probe needs a command',
    );
  });
});

describe('ProxyConfig semantic rules', () => {
  it('checks the selector and concurrency', () => {
    const issues = pc('  selector: {matchLabels: {app: "*"}}\n  concurrency: -2\n');
    expect(at(issues, 'spec.selector.matchLabels.app').message).toContain('wildcard');
    expect(at(issues, 'spec.concurrency').message).toContain('non-negative integer');
    expect(at(pc('  selector: {}\n  concurrency: 0\n'), 'spec.selector').level).toBe('warning');
  });
});
