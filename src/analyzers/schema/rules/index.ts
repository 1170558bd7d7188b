import type { SemanticValidator } from './types.js';
import { validateAuthorizationPolicy } from './authorizationpolicy.js';
import { validatePeerAuthentication } from './peerauthentication.js';
import { validateRequestAuthentication } from './requestauthentication.js';
import { validateTelemetry } from './telemetry.js';
import { validateTrafficExtension } from './trafficextension.js';
import { validateWasmPlugin } from './wasmplugin.js';
import { validateVirtualService } from './virtualservice.js';
import { validateDestinationRule } from './destinationrule.js';
import { validateGateway } from './gateway.js';
import { validateServiceEntry } from './serviceentry.js';
import { validateSidecar } from './sidecar.js';
import { validateWorkloadEntry } from './workloadentry.js';
import { validateWorkloadGroup } from './workloadgroup.js';
import { validateEnvoyFilter } from './envoyfilter.js';
import { validateProxyConfig } from './proxyconfig.js';

/** Kind → semantic validator. Each kind's rules live in their own module in this folder. */
export const SEMANTIC_VALIDATORS: Record<string, SemanticValidator> = {
  AuthorizationPolicy: validateAuthorizationPolicy,
  PeerAuthentication: validatePeerAuthentication,
  RequestAuthentication: validateRequestAuthentication,
  Telemetry: validateTelemetry,
  TrafficExtension: validateTrafficExtension,
  WasmPlugin: validateWasmPlugin,
  VirtualService: validateVirtualService,
  DestinationRule: validateDestinationRule,
  Gateway: validateGateway,
  ServiceEntry: validateServiceEntry,
  Sidecar: validateSidecar,
  WorkloadEntry: validateWorkloadEntry,
  WorkloadGroup: validateWorkloadGroup,
  EnvoyFilter: validateEnvoyFilter,
  ProxyConfig: validateProxyConfig,
};
