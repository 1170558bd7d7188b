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

/**
 * Kind → the codes its semantic rules report besides IST0106 (an error): IST0133 for a kind whose rules can
 * warn, and the codes of issues that carry their own (`SemanticIssue.code`). WorkloadGroup's rules never
 * warn: the one warning of the WorkloadEntry rules it shares (an entry without address) is not made for a
 * template, whose address is optional.
 */
export const SEMANTIC_CODES: Record<string, readonly string[]> = {
  AuthorizationPolicy: ['IST0133'],
  PeerAuthentication: ['IST0133'],
  RequestAuthentication: ['IST0133'],
  Telemetry: ['IST0133'],
  TrafficExtension: ['IST0133'],
  WasmPlugin: ['IST0133'],
  VirtualService: ['IST0130', 'IST0131', 'IST0133'],
  DestinationRule: ['IST0133'],
  Gateway: ['IST0133'],
  ServiceEntry: ['IST0133'],
  Sidecar: ['IST0133'],
  WorkloadEntry: ['IST0133'],
  WorkloadGroup: [],
  EnvoyFilter: ['IST0133'],
  ProxyConfig: ['IST0133'],
};
