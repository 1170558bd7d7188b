import type { Analyzer } from '../types.js';
import imageAuto from './image-auto.js';
import image from './image.js';
import injection from './injection.js';

export const analyzers: Analyzer[] = [injection, image, imageAuto];
