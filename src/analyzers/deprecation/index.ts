import type { Analyzer } from '../types.js';

export const analyzers: Analyzer[] = [];
