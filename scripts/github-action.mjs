#!/usr/bin/env node
/**
 * The GitHub Action's step (action.yml): runs `mesh analyze` once for a SARIF file (upload it with
 * github/codeql-action/upload-sarif) and once for workflow annotations on the changed lines, writes the
 * step outputs, and exits with mesh's exit code (0 ok, 79 findings at the threshold, 65 unparsable input).
 *
 * Inputs come from the environment as GitHub passes them: INPUT_PATHS (paths separated by spaces or new
 * lines), INPUT_ARGS (extra flags, separated by spaces), INPUT_SARIF_FILE, INPUT_FAILURE_THRESHOLD.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mesh = join(dirname(fileURLToPath(import.meta.url)), '../bin/mesh.js');
const words = (v) => (v ?? '').split(/\s+/).filter(Boolean);
const paths = words(process.env.INPUT_PATHS);
const sarifFile = process.env.INPUT_SARIF_FILE || 'mesh-analyze.sarif';
const args = [
  'analyze',
  ...(paths.length > 0 ? paths : ['.']),
  '--failure-threshold',
  process.env.INPUT_FAILURE_THRESHOLD || 'Error',
  ...words(process.env.INPUT_ARGS),
];

function run(format) {
  const r = spawnSync(process.execPath, [mesh, ...args, '-o', format], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) {
    console.error(`::error::mesh analyze could not run: ${r.error.message}`);
    process.exit(1);
  }
  process.stderr.write(r.stderr);
  return r;
}

/** The step outputs: `exit-code` always, `sarif-file` only when a report was written. */
function setOutputs(code, written) {
  if (process.env.GITHUB_OUTPUT)
    appendFileSync(
      process.env.GITHUB_OUTPUT,
      `${written ? `sarif-file=${sarifFile}\n` : ''}exit-code=${code}\n`,
    );
}

const sarif = run('sarif');
// Usage errors and runtime failures: nothing was analyzed, the message is already on stderr; no report
// is written, and the outputs say so (`exit-code` set, `sarif-file` empty).
if (sarif.status === 64 || sarif.status === 1) {
  setOutputs(sarif.status, false);
  process.exit(sarif.status);
}
writeFileSync(sarifFile, sarif.stdout);
const annotations = run('github');
if (annotations.stdout) process.stdout.write(annotations.stdout + '\n');

const code = sarif.status ?? 1;
setOutputs(code, true);
if (process.env.GITHUB_STEP_SUMMARY) {
  const results = JSON.parse(sarif.stdout).runs[0].results;
  const count = (level) => results.filter((x) => x.level === level).length;
  appendFileSync(
    process.env.GITHUB_STEP_SUMMARY,
    `### mesh analyze\n\n${count('error')} error(s), ${count('warning')} warning(s), ${count('note')} info — SARIF in \`${sarifFile}\`, exit code ${code}.\n`,
  );
}
process.exit(code);
