import type { Analyzer } from '../types.js';
import allowAllRule from './allow-all-rule.js';
import drTlsPeerAuthn from './dr-tls-peer-authn.js';
import metadataValues from './metadata-values.js';
import permissiveMtls from './permissive-mtls.js';
import principalServiceAccount from './principal-service-account.js';
import unknownIstioKind from './unknown-istio-kind.js';

/** mesh's own checks (MSH1xxx codes): what users asked for and istioctl does not check. */
export const analyzers: Analyzer[] = [
  allowAllRule,
  drTlsPeerAuthn,
  metadataValues,
  permissiveMtls,
  principalServiceAccount,
  unknownIstioKind,
];
