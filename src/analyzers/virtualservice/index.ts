import type { Analyzer } from '../types.js';
import conflictingMeshGatewayHosts from './conflicting-mesh-gateway-hosts.js';
import destinationHosts from './destination-hosts.js';
import destinationRules from './destination-rules.js';
import gateways from './gateways.js';
import jwtClaimRoute from './jwt-claim-route.js';

export const analyzers: Analyzer[] = [
  conflictingMeshGatewayHosts,
  destinationHosts,
  destinationRules,
  gateways,
  jwtClaimRoute,
];
