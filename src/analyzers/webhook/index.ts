import type { Analyzer } from '../types.js';
import webhook from './webhook.js';

export const analyzers: Analyzer[] = [webhook];
