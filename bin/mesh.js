#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../dist/boot/code-cache.js';

const bundle = loadBundle(fileURLToPath(new URL('../dist/mesh.cjs', import.meta.url)), {
  useCache: process.env.MESH_NO_CODE_CACHE !== '1',
});
bundle.exports.main(process.argv).then((code) => {
  process.exitCode = code;
});
