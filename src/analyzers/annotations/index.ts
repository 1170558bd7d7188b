import type { Analyzer } from '../types.js';
import alpha from './alpha.js';
import k8s from './k8s.js';

export const analyzers: Analyzer[] = [k8s];

/** Analyzers that run only when named with --analyzer (istioctl does not register them). */
export const optInAnalyzers: Analyzer[] = [alpha];
