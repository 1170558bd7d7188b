import type { Analyzer } from '../types.js';
import meshNetworks from './mesh-networks.js';

export const analyzers: Analyzer[] = [meshNetworks];
