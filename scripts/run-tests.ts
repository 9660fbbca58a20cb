// Runs every vitest project once and ends with one summary line ("tests: N passed, N failed"),
// which CI reads to know how many tests ran. The exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'signwarden-tests-'));
const report = join(dir, 'report.json');
const result = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = 'tests: 0 passed, 1 failed';
let reported = false;
try {
  const r = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numFailedTestSuites: number;
    success: boolean;
    numPendingTests: number;
    numTodoTests: number;
  };
  reported = true;
  // A suite that fails outside its tests (a hook, an import) fails no test: count it.
  const failed = r.numFailedTests || r.numFailedTestSuites || (r.success ? 0 : 1);
  summary = `tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`;
} catch {
  process.stderr.write('vitest wrote no report\n');
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${summary}\n`);
process.exit(reported ? (result.status ?? 1) : 1);
