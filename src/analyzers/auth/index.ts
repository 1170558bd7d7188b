import type { Analyzer } from '../types.js';
import authorizationPolicies from './authorization-policies.js';

export const analyzers: Analyzer[] = [authorizationPolicies];
