import type { Analyzer } from '../types.js';
import externalControlPlane from './external-control-plane.js';

export const analyzers: Analyzer[] = [externalControlPlane];
