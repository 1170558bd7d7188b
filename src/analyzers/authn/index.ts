import type { Analyzer } from '../types.js';
import blockedCidrs from './blocked-cidrs.js';

export const analyzers: Analyzer[] = [blockedCidrs];
