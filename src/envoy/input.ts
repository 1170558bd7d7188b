/** Reading a saved config dump (or admin answer) given with --file. */
import { readFileSync } from 'node:fs';
import { goPathError } from '../authz/input.js';
import { MeshError } from '../util/errors.js';

/**
 * The whole text of `file` (`-` = stdin). Files are read synchronously in one piece: for dumps of tens
 * of megabytes this is markedly cheaper than a chunked asynchronous read and its decoding garbage.
 */
export async function readInputText(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new MeshError(`cannot read ${file}: ${goPathError(err, file)}`);
  }
}
