// scripts/mutations.mjs breaks each guard of the event path by exact text edits. When the guarded code
// moves, an edit no longer finds its text; before this test that went unnoticed until someone ran the
// script (it then stopped at the first stale mutation). `--check` applies nothing and runs no test.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('every mutation of scripts/mutations.mjs still finds the code it breaks', () => {
  const run = spawnSync(process.execPath, ['scripts/mutations.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  const lines = run.stdout.trim().split('\n');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.filter((l) => !/ applies$/.test(l))).toEqual([]);
  expect(run.status).toBe(0);
});
