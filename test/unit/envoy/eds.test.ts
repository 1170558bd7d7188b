import { describe, expect, it } from 'vitest';
import { edsRows } from '../../../src/envoy/endpoints.js';

const sock = (address: string, port: number) => ({ socket_address: { address, port_value: port } });

describe('EDS rows (proxy-config endpoint from a dump, and the ENDPOINTS part of all)', () => {
  it('names an endpoint by all its addresses, primary first, skipping entries without one', () => {
    const cla = {
      cluster_name: 'outbound|80||a.ns.svc.cluster.local',
      endpoints: [
        {
          locality: { region: 'eu', zone: 'z1' },
          lb_endpoints: [
            {
              endpoint: {
                address: sock('10.0.0.1', 80),
                additional_addresses: [
                  { address: sock('fd00::1', 80) },
                  {},
                  { address: { pipe: { path: '/s' } } },
                ],
              },
              health_status: 'HEALTHY',
            },
            { endpoint: { additional_addresses: [{ address: sock('10.0.0.2', 81) }] } },
            { endpoint: {} },
          ],
        },
      ],
    };
    expect(edsRows([cla], 'endpoint/')).toEqual([
      ['endpoint/10.0.0.1:80,fd00::1:80,/s', 'HEALTHY', 'eu/z1', cla.cluster_name],
      ['endpoint/10.0.0.2:81', 'UNKNOWN', 'eu/z1', cla.cluster_name],
      ['endpoint/', 'UNKNOWN', 'eu/z1', cla.cluster_name],
    ]);
  });
});
