#!/usr/bin/env node
// Mutation check: breaks each guard of the event path on purpose, one at a time, runs the tests that
// are meant to catch it, and reports whether they did. "Every guard is tested" is a claim anyone can
// re-run: `node scripts/mutations.mjs` (all) or `node scripts/mutations.mjs claims-off final-removed`.
// Needs the local stack up (infra/local/stack up). Source files are restored after each mutation,
// also when the run is interrupted. Exit 1 if any mutation survives (its tests still pass) or no longer
// finds the code it breaks (STALE). `--check` only checks that every mutation still applies.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Each mutation: the edits that disable one guard (an exact text that must occur once, and its
 * replacement) and the test files that must then fail. Where two guards cover the same failure on
 * purpose (the sink's own stored-offset check and ClickHouse's NOT IN), the mutation removes both.
 */
const MUTATIONS = [
  {
    name: 'final-removed',
    guard: 'rollup views read the contribution tables with FINAL (a re-derived range replaces its rows)',
    edits: [
      {
        file: 'infra/clickhouse/0004_unresolved_app_rollups.sql',
        find: 'FROM rollup_district_app_daily_parts FINAL;',
        replace: 'FROM rollup_district_app_daily_parts;',
      },
    ],
    tests: ['services/aggregate/test/rollups.test.ts'],
  },
  {
    name: 'stored-offset-check-off',
    guard: 'offsets already in usage_events are never inserted again (worker check + server-side NOT IN)',
    edits: [
      {
        file: 'services/aggregate/src/row-store.ts',
        find: 'const fresh = rows.filter((r) => !known.has(r.offset));',
        replace: 'const fresh = rows;',
      },
      {
        file: 'services/aggregate/src/insert-unstored.ts',
        find: 'AND (kafka_partition, kafka_offset) NOT IN (',
        replace: 'AND 1 = 1 OR (kafka_partition, kafka_offset) IN (',
      },
    ],
    tests: ['services/aggregate/test/sink-clickhouse-kill.test.ts', 'services/aggregate/test/sink-hardening.test.ts'],
  },
  {
    name: 'joined-same-partition',
    guard: 'two batches of one partition never share an INSERT (its NOT IN does not compare its own rows)',
    edits: [
      {
        file: 'services/aggregate/src/joined-inserts.ts',
        find: 'if (!joinable(first.request, p.request) || partitions.has(p.request.batch.partition)) return false;',
        replace: 'if (!joinable(first.request, p.request)) return false;',
      },
    ],
    tests: ['services/aggregate/test/joined-inserts.test.ts'],
  },
  {
    name: 'joined-failure-not-split',
    guard:
      'a joined INSERT whose data is refused is tried again batch by batch: a refused row fails only its own batch',
    edits: [
      {
        file: 'services/aggregate/src/joined-inserts.ts',
        find: 'if (taken.length === 1 || !isClickHouseDataError(err)) {',
        replace: 'if (true) {',
      },
    ],
    tests: ['services/aggregate/test/joined-inserts.test.ts'],
  },
  {
    name: 'joined-every-failure-split',
    guard:
      'a joined INSERT that failed for another reason (a connection) goes back to every batch, not sent again one by one',
    edits: [
      {
        file: 'services/aggregate/src/joined-inserts.ts',
        find: 'if (taken.length === 1 || !isClickHouseDataError(err)) {',
        replace: 'if (taken.length === 1) {',
      },
    ],
    tests: ['services/aggregate/test/joined-inserts.test.ts'],
  },
  {
    name: 'joined-resend-ignores-fence',
    guard: 'a batch fenced while its joined INSERT failed is not sent again',
    edits: [
      {
        file: 'services/aggregate/src/joined-inserts.ts',
        find: '      if (this.leftOut(p)) continue;\n',
        replace: '',
      },
    ],
    tests: ['services/aggregate/test/joined-inserts.test.ts'],
  },
  {
    name: 'recheck-after-failed-insert-off',
    guard: 'after a failed INSERT the stored offsets are read again (with the server-side NOT IN also off)',
    edits: [
      {
        file: 'services/aggregate/src/row-store.ts',
        find: '        this.verified.delete(key);\n        if (isClickHouseDataError(err))',
        replace: '        if (isClickHouseDataError(err))',
      },
      {
        file: 'services/aggregate/src/insert-unstored.ts',
        find: 'AND (kafka_partition, kafka_offset) NOT IN (',
        replace: 'AND 1 = 1 OR (kafka_partition, kafka_offset) IN (',
      },
    ],
    tests: ['services/aggregate/test/sink-clickhouse-kill.test.ts'],
  },
  {
    name: 'erased-people-stored',
    guard: "the usage_events INSERT stores no event of a person erased at the district's request",
    edits: [{ file: 'services/aggregate/src/handlers.ts', find: '    storeOnly: NOT_ERASED,\n', replace: '' }],
    tests: ['packages/demo/test/e2e-erase.test.ts'],
  },
  {
    name: 'erasure-by-person-only',
    guard: 'an erasure deletes every version at the recorded offsets (an event revised to the person goes too)',
    edits: [
      {
        file: 'services/enrich/src/erase/erase-stored.ts',
        find: "    ['usage_events', atOffsets],",
        replace: "    ['usage_events', erasedPersonIn(o.districtId, requests)],",
      },
    ],
    tests: ['services/enrich/test/erase-stored.test.ts'],
  },
  {
    name: 'claims-off',
    guard: 'source-level duplicates are removed by the partition claims (event_claims)',
    edits: [
      {
        file: 'services/aggregate/src/handlers.ts',
        find: '        if (!owned[i]) return;\n',
        replace: '',
      },
    ],
    tests: ['services/aggregate/test/dedup.test.ts', 'packages/demo/test/e2e-dedup.test.ts'],
  },
  {
    name: 'enrich-commit-before-produce',
    guard: 'enrich commits a raw offset only after Kafka acknowledged its enriched output',
    edits: [
      {
        file: 'services/enrich/src/worker/each-batch.ts',
        find: '        await sendWithRetries(enriched, dlq, deps, { abandon, heartbeat, partition: batch.partition });',
        replace:
          '        resolveOffset(lastOffset);\n' +
          '        await deps.consumer.commitOffsets([\n' +
          '          { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },\n' +
          '        ]);\n' +
          '        await new Promise((r) => setTimeout(r, 200));\n' +
          '        await sendWithRetries(enriched, dlq, deps, { abandon, heartbeat, partition: batch.partition });',
      },
    ],
    tests: ['packages/demo/test/e2e-crash.test.ts'],
  },
];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/**
 * Why the mutation no longer applies (the code moved or the file is gone), checked on in-memory copies
 * with its edits applied in order, as `apply` will; empty when it applies.
 */
function staleEdits(mutation) {
  const texts = new Map();
  const problems = [];
  for (const edit of mutation.edits) {
    let text = texts.get(edit.file);
    if (text === undefined) {
      try {
        text = readFileSync(path.join(ROOT, edit.file), 'utf8');
      } catch (err) {
        problems.push(`${edit.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
        continue;
      }
    }
    const count = text.split(edit.find).length - 1;
    if (count !== 1) problems.push(`${edit.file}: its text found ${count} times, not once`);
    texts.set(edit.file, text.replace(edit.find, edit.replace));
  }
  return problems;
}

/** Applies a mutation's edits (each checked by staleEdits first); returns the files' original texts. */
function apply(mutation) {
  const originals = new Map();
  for (const edit of mutation.edits) {
    const file = path.join(ROOT, edit.file);
    const current = readFileSync(file, 'utf8');
    if (!originals.has(file)) originals.set(file, current);
    writeFileSync(file, current.replace(edit.find, edit.replace));
  }
  return originals;
}

function restore(originals) {
  for (const [file, text] of originals) writeFileSync(file, text);
}

// --check: only that every mutation still finds its text (a test runs it, so the script cannot go
// stale unnoticed when the guarded code moves); no build, no tests.
const checkOnly = process.argv.includes('--check');
const wanted = process.argv.slice(2).filter((a) => a !== '--check');
const unknown = wanted.filter((w) => !MUTATIONS.some((m) => m.name === w));
if (unknown.length > 0) {
  console.error(`unknown mutation(s): ${unknown.join(', ')}; known: ${MUTATIONS.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? MUTATIONS.filter((m) => wanted.includes(m.name)) : MUTATIONS;
let active = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (active) restore(active);
    process.exit(130);
  });
}

if (checkOnly) {
  let stale = 0;
  for (const mutation of selected) {
    const problems = staleEdits(mutation);
    stale += problems.length > 0 ? 1 : 0;
    console.log(`${mutation.name.padEnd(32)} ${problems.length === 0 ? 'applies' : `STALE: ${problems.join('; ')}`}`);
  }
  process.exit(stale === 0 ? 0 : 1);
}

const results = [];
for (const mutation of selected) {
  console.log(`\n=== ${mutation.name}: ${mutation.guard}`);
  const problems = staleEdits(mutation);
  if (problems.length > 0) {
    // Reported and counted as a failure, and the other mutations still run.
    console.log(`STALE (the code moved: update scripts/mutations.mjs): ${problems.join('; ')}`);
    results.push({ name: mutation.name, killed: false, stale: true });
    continue;
  }
  active = apply(mutation);
  let outcome;
  try {
    const build = run('pnpm', ['build']);
    if (build.code !== 0) outcome = { killed: true, how: 'the build fails' };
    else {
      const t0 = Date.now();
      const test = run('npx', ['jest', '--runInBand', ...mutation.tests]);
      const summary =
        test.out
          .split('\n')
          .filter((l) => /^Tests:/.test(l.replace(/\x1b\[[0-9;]*m/g, '')))
          .pop() ?? '';
      const failing = [
        ...new Set(
          test.out
            .split('\n')
            .filter((l) => /^\s+● /.test(l))
            .map((l) => l.trim()),
        ),
      ];
      outcome = {
        killed: test.code !== 0,
        how: `${summary.trim() || `jest exit ${test.code}`} in ${Math.round((Date.now() - t0) / 1000)} s`,
        failing: failing.slice(0, 5),
      };
    }
  } finally {
    restore(active);
    active = null;
  }
  console.log(`${outcome.killed ? 'KILLED' : 'SURVIVED'}: ${outcome.how}`);
  for (const f of outcome.failing ?? []) console.log(`  ${f}`);
  results.push({ name: mutation.name, ...outcome });
}
run('pnpm', ['build']); // dist/ back to the unmutated sources

console.log('\nmutation        result');
for (const r of results) console.log(`${r.name.padEnd(32)} ${r.killed ? 'killed' : r.stale ? 'STALE' : 'SURVIVED'}`);
process.exit(results.every((r) => r.killed) ? 0 : 1);
