#!/usr/bin/env node
/**
 * The GitHub Action's step (action.yml): runs `mesh analyze` once, for workflow annotations on the changed
 * lines and a SARIF file (upload it with github/codeql-action/upload-sarif), writes the step outputs, and
 * exits with mesh's exit code (0 ok, 79 findings at the threshold, 65 unparsable input).
 *
 * Inputs come from the environment as GitHub passes them: INPUT_PATHS (paths separated by spaces or new
 * lines), INPUT_ARGS (extra flags, separated by spaces), INPUT_SARIF_FILE, INPUT_FAILURE_THRESHOLD.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
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

/** The step outputs: `exit-code` always, `sarif-file` only when a report was written. */
function setOutputs(code, written) {
  if (process.env.GITHUB_OUTPUT)
    appendFileSync(
      process.env.GITHUB_OUTPUT,
      `${written ? `sarif-file=${sarifFile}\n` : ''}exit-code=${code}\n`,
    );
}

// One run: the annotations on stdout (the runner reads them from the log), the SARIF report to its file.
// V8's helper threads sized to the machine's cores (`--v8-pool-size=0`, a Node option) rather than Node's
// fixed four: on the 2-core runners of private repositories four helpers take the analysis' own core in
// turns (measured 12-19 % faster there; see README).
const r = spawnSync(
  process.execPath,
  ['--v8-pool-size=0', mesh, ...args, '-o', 'github', '--report', `sarif:${sarifFile}`],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
if (r.error) {
  console.error(`::error::mesh analyze could not run: ${r.error.message}`);
  process.exit(1);
}
const code = r.status ?? 1;
// Usage errors and runtime failures: nothing was analyzed (or the report could not be written), the message
// is already on stderr; the outputs say so (`exit-code` set, `sarif-file` empty).
if (code === 64 || code === 1) {
  setOutputs(code, false);
  process.exit(code);
}
setOutputs(code, true);
if (process.env.GITHUB_STEP_SUMMARY) {
  const results = JSON.parse(readFileSync(sarifFile, 'utf8')).runs[0].results;
  const count = (level) => results.filter((x) => x.level === level).length;
  appendFileSync(
    process.env.GITHUB_STEP_SUMMARY,
    `### mesh analyze\n\n${count('error')} error(s), ${count('warning')} warning(s), ${count('note')} info — SARIF in \`${sarifFile}\`, exit code ${code}.\n`,
  );
}
process.exit(code);
