import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';
import { servicePortProtocol } from '../../../src/analyzers/service/protocol.js';

const ports = readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/service/ports.yaml'), 'utf8');
const run = (text: string) => analyzeText(text, ['service.PortNameAnalyzer']);

describe('service.PortNameAnalyzer', () => {
  it('reports a port name Istio cannot read a protocol from, and a tcp port on an ExternalName service', async () => {
    expect(await run(ports)).toEqual([
      {
        code: 'IST0150',
        origin: 'Service shop/billing',
        line: 34,
        path: 'spec.ports[0].name',
        message:
          'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly',
      },
      {
        code: 'IST0118',
        origin: 'Service shop/reviews',
        line: 12,
        path: 'spec.ports[1].name',
        message:
          "Port name web (port: 8080, targetPort: http-alt) doesn't follow the naming convention of Istio port.",
      },
    ]);
  });

  it('is quiet for Istio control-plane and gateway-managed Services', async () => {
    const managed = ports
      .replace(
        '  name: reviews\n  namespace: shop',
        '  name: reviews\n  namespace: shop\n  labels:\n    istio: ingressgateway',
      )
      .replace(
        '  name: billing\n  namespace: shop',
        '  name: billing\n  namespace: shop\n  labels:\n    gateway.istio.io/managed: istio.io-gateway-controller',
      );
    expect(await run(managed)).toEqual([]);
  });

  it.each([
    [{ name: 'http-web', port: 80 }, 'HTTP'],
    [{ name: 'GRPC', port: 80 }, 'GRPC'],
    [{ name: 'grpc-web', port: 80 }, 'GRPC-Web'],
    [{ name: 'web', port: 80, appProtocol: 'https' }, 'HTTPS'],
    [{ name: 'web', port: 80, appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'],
    [{ name: 'web', port: 80, protocol: 'UDP' }, 'UDP'],
    [{ port: 27017 }, 'TCP'],
    [{ name: 'web', port: 80 }, undefined],
  ])('%j → %s', (port, protocol) => {
    expect(servicePortProtocol(port)).toBe(protocol);
  });
});
