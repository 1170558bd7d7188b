import type { Analyzer } from '../types.js';
import service from './service.js';

export const analyzers: Analyzer[] = [service];
