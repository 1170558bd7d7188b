import type { Analyzer } from '../types.js';
import certificate from './certificate.js';
import conflictingGateway from './conflicting-gateway.js';
import ingressGatewayPort from './ingress-gateway-port.js';
import secret from './secret.js';

export const analyzers: Analyzer[] = [certificate, conflictingGateway, ingressGatewayPort, secret];
