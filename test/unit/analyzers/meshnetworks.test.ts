import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';

const secret = readFileSync(
  join(import.meta.dirname, '../../fixtures/analyzers/meshnetworks/remote-secret.yaml'),
  'utf8',
);
const meshNetworks = {
  networks: {
    'network-east': {
      endpoints: [{ fromRegistry: 'cluster-east' }],
      gateways: [{ address: '1.2.3.4', port: 15443 }],
    },
    'network-west': { endpoints: [{ fromRegistry: 'cluster-west' }, { fromCidr: '10.20.0.0/16' }] },
    'network-local': { endpoints: [{ fromRegistry: 'Kubernetes' }] },
  },
};
const run = (text: string) => analyzeText(text, ['meshnetworks.MeshNetworksAnalyzer'], { meshNetworks });

describe('meshnetworks.MeshNetworksAnalyzer', () => {
  it('reports a registry that is neither built in nor a cluster with a remote secret', async () => {
    expect(await run(secret)).toEqual([
      {
        code: 'IST0126',
        origin: 'MeshNetworks istio-system/meshnetworks',
        line: undefined,
        path: 'spec.networks.network-west.endpoints[0].fromRegistry',
        message: 'Unknown service registry cluster-west in network network-west',
      },
    ]);
  });

  it('says nothing offline when no remote-cluster secret is in the inputs', async () => {
    const unlabelled = secret.replace('    istio/multiCluster: "true"\n', '    app: demo\n');
    expect(await run(unlabelled)).toEqual([]);
  });
});
