import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { APPROVALS_HEADER, COURSE_APPS_HEADER, LICENSES_HEADER, ROSTER_HEADERS, toCsv } from './csv';
import { EVENT_FILES, type EventFormat, type GenerationStats, type SampleDistrict, type WrittenFiles } from './types';

export interface WriteOptions {
  /** Write truth.ndjson (one TruthEvent per line). Default true. */
  truth?: boolean;
}

const CHUNK = 1 << 20;

/** Appends lines to a file through a ~1 MiB buffer. */
class LineWriter {
  private parts: string[] = [];
  private size = 0;
  count = 0;
  private constructor(private readonly fh: FileHandle) {}

  static async open(path: string): Promise<LineWriter> {
    return new LineWriter(await open(path, 'w'));
  }
  /** Buffers a line; true when the buffer is full and should be flushed. */
  line(text: string): boolean {
    this.parts.push(text);
    this.size += text.length + 1;
    this.count++;
    return this.size >= CHUNK;
  }
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    this.parts.push('');
    const text = this.parts.join('\n');
    this.parts = [];
    this.size = 0;
    await this.fh.write(text, null, 'utf8');
  }
  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/**
 * Writes the district under `outDir` (created if missing):
 *   oneroster/{manifest,orgs,academicSessions,courses,classes,users,enrollments,demographics}.csv
 *   course_apps.csv, licenses.csv, approvals.csv, networks.json, apps.json,
 *   events/native.ndjson, events/caliper.ndjson, events/squid-access.log,
 *   truth.ndjson (unless { truth: false }), summary.json
 * Everything is a pure function of the district's options: same options, same bytes.
 */
export async function writeDistrict(
  district: SampleDistrict,
  outDir: string,
  options: WriteOptions = {},
): Promise<WrittenFiles> {
  const started = process.hrtime.bigint();
  const rosterDir = join(outDir, 'oneroster');
  await mkdir(rosterDir, { recursive: true });
  await mkdir(join(outDir, 'events'), { recursive: true });
  const counts: Record<string, number> = {};

  const r = district.roster;
  const rosterFiles = {
    manifest: r.manifest,
    orgs: r.orgs,
    academicSessions: r.academicSessions,
    courses: r.courses,
    classes: r.classes,
    users: r.users,
    enrollments: r.enrollments,
    demographics: r.demographics,
  } as const;
  const rosterPaths = {} as Record<keyof typeof rosterFiles, string>;
  for (const [name, rows] of Object.entries(rosterFiles) as Array<[keyof typeof rosterFiles, object[]]>) {
    const path = join(rosterDir, `${name}.csv`);
    await writeFile(path, toCsv(ROSTER_HEADERS[name], rows));
    rosterPaths[name] = path;
    counts[`oneroster/${name}.csv`] = rows.length;
  }
  const courseApps = join(outDir, 'course_apps.csv');
  await writeFile(courseApps, toCsv(COURSE_APPS_HEADER, district.courseApps));
  counts['course_apps.csv'] = district.courseApps.length;
  const licenses = join(outDir, 'licenses.csv');
  await writeFile(licenses, toCsv(LICENSES_HEADER, district.licenses));
  counts['licenses.csv'] = district.licenses.length;
  const approvals = join(outDir, 'approvals.csv');
  await writeFile(approvals, toCsv(APPROVALS_HEADER, district.approvals));
  counts['approvals.csv'] = district.approvals.length;
  const networks = join(outDir, 'networks.json');
  await writeFile(networks, `${JSON.stringify(district.networks, null, 2)}\n`);
  counts['networks.json'] = Object.keys(district.networks).length;
  const apps = join(outDir, 'apps.json');
  await writeFile(apps, `${JSON.stringify(district.apps, null, 2)}\n`);
  counts['apps.json'] = district.apps.length;

  const writers = {
    native: await LineWriter.open(join(outDir, EVENT_FILES.native)),
    caliper: await LineWriter.open(join(outDir, EVENT_FILES.caliper)),
    squid: await LineWriter.open(join(outDir, EVENT_FILES.squid)),
  } satisfies Record<EventFormat, LineWriter>;
  const writeTruth = options.truth ?? true;
  const truthPath = writeTruth ? join(outDir, 'truth.ndjson') : null;
  const truth = truthPath ? await LineWriter.open(truthPath) : null;

  const stats: GenerationStats = {
    events: 0,
    lines: { native: 0, caliper: 0, squid: 0 },
    eventsByFormat: { native: 0, caliper: 0, squid: 0 },
    malformed: { native: 0, caliper: 0, squid: 0 },
    malformedByReason: {},
    duplicates: 0,
    unresolvedPersonEvents: 0,
    unresolvedAppEvents: 0,
    eventsByApp: {},
    seconds: 0,
  };
  try {
    for (const rec of district.records()) {
      const w = writers[rec.format];
      if (w.line(rec.text)) await w.flush();
      stats.lines[rec.format]++;
      for (const ev of rec.events) {
        stats.events++;
        stats.eventsByFormat[ev.format]++;
        if (ev.malformed) {
          stats.malformed[ev.format]++;
          const key = `${ev.format}:${ev.malformed.reason}`;
          stats.malformedByReason[key] = (stats.malformedByReason[key] ?? 0) + 1;
        } else if (ev.duplicate_of !== null) {
          stats.duplicates++;
        } else {
          if (ev.person_sourced_id === null) stats.unresolvedPersonEvents++;
          const app = ev.app_id ?? `domain:${ev.domain ?? '?'}`;
          if (ev.app_id === null) stats.unresolvedAppEvents++;
          stats.eventsByApp[app] = (stats.eventsByApp[app] ?? 0) + 1;
        }
        if (truth && truth.line(JSON.stringify(ev))) await truth.flush();
      }
    }
  } finally {
    await Promise.all([...Object.values(writers).map((w) => w.close()), truth?.close()]);
  }
  for (const f of ['native', 'caliper', 'squid'] as const) counts[EVENT_FILES[f]] = writers[f].count;
  if (truth) counts['truth.ndjson'] = truth.count;
  stats.eventsByApp = Object.fromEntries(
    Object.entries(stats.eventsByApp).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
  );
  stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;

  const summary = join(outDir, 'summary.json');
  // The summary carries no timing, so it is reproducible like every other file.
  const { seconds: _seconds, ...reproducible } = stats;
  await writeFile(
    summary,
    `${JSON.stringify({ district: district.district, options: district.options, counts, stats: reproducible }, null, 2)}\n`,
  );

  return {
    dir: outDir,
    roster: { dir: rosterDir, ...rosterPaths },
    courseApps,
    networks,
    apps,
    licenses,
    approvals,
    native: join(outDir, EVENT_FILES.native),
    caliper: join(outDir, EVENT_FILES.caliper),
    squid: join(outDir, EVENT_FILES.squid),
    truth: truthPath,
    summary,
    counts,
    stats,
  };
}
