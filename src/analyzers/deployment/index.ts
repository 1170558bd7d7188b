import type { Analyzer } from '../types.js';
import applicationUid from './application-uid.js';
import multiService from './multi-service.js';

export const analyzers: Analyzer[] = [applicationUid, multiService];
