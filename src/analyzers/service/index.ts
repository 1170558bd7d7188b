import type { Analyzer } from '../types.js';
import portName from './port-name.js';

export const analyzers: Analyzer[] = [portName];
