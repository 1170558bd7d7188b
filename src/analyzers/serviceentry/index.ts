import type { Analyzer } from '../types.js';
import conflictingProtocol from './conflicting-protocol.js';
import protocolAddresses from './protocol-addresses.js';

export const analyzers: Analyzer[] = [protocolAddresses, conflictingProtocol];
