import type { Analyzer } from '../types.js';
import envoyPatch from './envoy-patch.js';

export const analyzers: Analyzer[] = [envoyPatch];
