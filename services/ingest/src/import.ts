import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  adaptCaliper,
  adaptSquidLine,
  adaptXapi,
  canonicalJson,
  isObject,
  parseJsonPayload,
  stageResultsOf,
  ProxyMinuteFolder,
  type AdaptResult,
  type Rejection,
  type Source,
} from '@edusage/contracts';
import { adaptNativeItems, type SenderContext } from './adapt';
import type { EventSink } from './sink';
import { createProgressReporter, type ProgressMode, type ProgressReporter } from './progress';
import { readCsvRecords } from './csv-records';
import { ImportBatches } from './import-batches';
import { fileMessages } from './import-messages';
import { VENDOR_FORMAT_NAMES, isVendorFormat, loadEdfiUsers, vendorUnits } from './vendor-import';

export const IMPORT_FORMATS = [
  'ndjson',
  'csv',
  'squid',
  'caliper-ndjson',
  'xapi-ndjson',
  ...VENDOR_FORMAT_NAMES,
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/**
 * CSV header for `--format csv`: the native event fields, flattened. Only the header names matter
 * (any order); empty cells are absent fields. `district_id` and `source` may also appear (they must
 * then match --district / --source). A row with an empty `event_id` gets a deterministic id from its
 * cells and its occurrence among identical rows ({@link CsvRowIds}), so importing the same file twice,
 * or again with a rejected line deleted, gives the same ids.
 */
export const CSV_COLUMNS = [
  'event_id',
  'occurred_at',
  'type',
  'user_sourced_id',
  'user_email',
  'user_username',
  'user_device_id',
  'app_id',
  'app_domain',
  'app_url',
  'active_seconds',
  'class_id',
  'school_id',
  'client_ip',
] as const;
const CSV_OPTIONAL_COLUMNS = ['district_id', 'source'];

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  districtId: string;
  source: Source;
  /** Clock for the occurred_at bounds (default now): lets a log older than 5 years be imported. */
  referenceTime?: Date;
  /** Squid logs: a line without a user becomes an event of the client IP as `device_id` (default: rejected). */
  ipAsDevice?: boolean;
  /** Ed-Fi activity formats: unified `users` files mapping LMS user ids to roster ids (oldest first). */
  edfiUsers?: readonly string[];
  /** Messages (events + dead letters) per Kafka batch (default 2,000). */
  batchSize?: number;
  /** Batches awaiting acknowledgement at once (default 2): bounds memory. */
  maxInFlight?: number;
  progress?: ProgressMode;
  /** Interval of the plain progress lines (non-TTY), default 5 s. */
  progressIntervalMs?: number;
  /** Where progress goes (default process.stderr). */
  progressStream?: NodeJS.WriteStream;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  bytes: number;
  /** Lines (CSV: records) read, blank lines and the CSV header excluded. */
  lines: number;
  accepted: number;
  rejected: number;
  skipped: number;
  rejectedByReason: Record<string, number>;
  skippedByReason: Record<string, number>;
  durationMs: number;
}

/** One input line (or CSV record) turned into events, rejections and skips. */
interface Unit {
  line: number;
  /** The original text, for the dead letter. */
  text: string;
  result: AdaptResult;
  /** Where in the file the unit ends, for progress (CSV files are read by @edusage/csv, not `input`). */
  byte?: number;
}

/** Ed-Fi user maps (`--edfi-users`), read before the import starts. */
type EdfiUsers = Awaited<ReturnType<typeof loadEdfiUsers>>;

/**
 * Streams a file into Kafka: reads line by line (constant memory, but for the {@link CsvRowIds} of a
 * CSV's rows without event_id), adapts each line, produces accepted events to usage.raw (RawMessage,
 * channel `file`, origin `<file name>:<line>`) and rejected lines to usage.dlq (stage `import`,
 * reason with the line number, the original line as payload), in batches of `batchSize` with at most
 * `maxInFlight` batches unacknowledged. Resolves with the summary once Kafka acknowledged everything;
 * rejects on a fatal error (unreadable file, Kafka gone).
 */
export async function runImport(opts: ImportOptions, sink: EventSink): Promise<ImportSummary> {
  const started = Date.now();
  const bytes = await importFileSize(opts.file);
  const edfiUsers = opts.edfiUsers?.length ? await loadEdfiUsers(opts.edfiUsers) : undefined;
  const summary = emptySummary(opts, bytes);
  const input = createReadStream(opts.file);
  const progress = importProgress(opts, bytes);
  const batches = new ImportBatches(sink, summary, opts.maxInFlight ?? 2);
  const route = unitRouter(opts, sink, batches, summary);
  const batchSize = opts.batchSize ?? 2_000;
  // How far the file was read: CSV and vendor files are read by @edusage/csv, which says it per unit.
  let bytesRead = 0;
  try {
    for await (const unit of importUnits(opts, input, edfiUsers)) {
      batches.throwIfFailed();
      summary.lines++;
      bytesRead = unit.byte ?? input.bytesRead;
      route(unit);
      if (batches.size >= batchSize) await batches.flush();
      // Progress counts buffered messages too; those of batches in flight show once acknowledged.
      const { accepted, rejected } = batches.buffered;
      progress.update(bytesRead, summary.lines, summary.accepted + accepted, summary.rejected + rejected);
    }
    await batches.finish();
  } finally {
    input.destroy();
    progress.stop(Math.max(bytesRead, input.bytesRead), summary.lines, summary.accepted, summary.rejected);
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

/** The file's size; a missing or unreadable file (or a directory) is fatal before anything is sent. */
async function importFileSize(file: string): Promise<number> {
  const stat = await fsp.stat(file);
  if (!stat.isFile()) throw new Error(`${file} is not a file`);
  return stat.size;
}

function emptySummary(opts: ImportOptions, bytes: number): ImportSummary {
  return {
    file: opts.file,
    format: opts.format,
    bytes,
    lines: 0,
    accepted: 0,
    rejected: 0,
    skipped: 0,
    rejectedByReason: {},
    skippedByReason: {},
    durationMs: 0,
  };
}

/** Progress on stderr (or `progressStream`), labelled with the file's name. */
function importProgress(opts: ImportOptions, totalBytes: number): ProgressReporter {
  return createProgressReporter({
    mode: opts.progress ?? 'auto',
    totalBytes,
    intervalMs: opts.progressIntervalMs ?? 5_000,
    stream: opts.progressStream ?? process.stderr,
    label: path.basename(opts.file),
  });
}

/**
 * The file's units, read by its format's reader: vendor exports and CSV through @edusage/csv (which
 * opens the file itself), the line formats from `input`.
 */
function importUnits(
  opts: ImportOptions,
  input: NodeJS.ReadableStream,
  edfiUsers: EdfiUsers | undefined,
): AsyncIterable<Unit> {
  const ctx: SenderContext = {
    districtId: opts.districtId,
    source: opts.source,
    ...(opts.referenceTime ? { now: opts.referenceTime } : {}),
  };
  if (isVendorFormat(opts.format))
    return vendorUnits(opts.file, opts.format, { ...ctx, ...(edfiUsers ? { users: edfiUsers } : {}) });
  if (opts.format === 'csv') return csvUnits(opts.file, ctx);
  return lineUnits(input, opts.format, ctx, opts.ipAsDevice ?? false);
}

/**
 * Routes each outcome of a unit: accepted events to usage.raw (or usage.dlq when too large for
 * Kafka), rejections to usage.dlq (every dead letter of a line keeps the whole line and names it),
 * skips only into the summary.
 */
function unitRouter(
  opts: ImportOptions,
  sink: EventSink,
  batches: ImportBatches,
  summary: ImportSummary,
): (unit: Unit) => void {
  const messages = fileMessages({
    fileName: path.basename(opts.file),
    format: opts.format,
    districtId: opts.districtId,
    source: opts.source,
    sink,
  });
  return (unit) => {
    const receivedAt = new Date().toISOString();
    for (const item of stageResultsOf(unit.result)) {
      const result = item.kind === 'ok' ? messages.event(unit, item.value, receivedAt) : item;
      if (result.kind === 'ok') batches.addEvent(result.value);
      else if (result.kind === 'dead_letter')
        batches.addDeadLetter(messages.deadLetter(unit, result.reason), result.reason.code);
      else addSkip(summary, result.reason);
    }
  };
}

function addSkip(summary: ImportSummary, reason: string) {
  summary.skipped++;
  summary.skippedByReason[reason] = (summary.skippedByReason[reason] ?? 0) + 1;
}

function reject(line: number, text: string, reason: Rejection['reason']): AdaptResult {
  return { events: [], rejects: [{ reason: { ...reason, line }, payload: text, index: line }], skipped: [] };
}

/** Items validated together: building the clock-bound schema per item would cost ~10x the time. */
const VALIDATE_CHUNK = 500;

interface Pending {
  line: number;
  text: string;
  value: unknown;
  byte?: number;
}

/**
 * Adapts a chunk of one-event items (native events, xAPI statements) in one call and splits the
 * result back per item: rejections by their index, events in item order (one per accepted item).
 */
function adaptChunk(
  chunk: Pending[],
  adapt: (values: unknown[]) => AdaptResult,
  single: (value: unknown) => AdaptResult,
): Unit[] {
  const result = adapt(chunk.map((p) => p.value));
  const rejected = new Set<number>();
  for (const r of result.rejects) if (r.index !== undefined) rejected.add(r.index);
  if (
    result.rejects.length !== rejected.size ||
    result.events.length !== chunk.length - rejected.size ||
    result.skipped.length > 0
  ) {
    // Not one outcome per item: adapt one by one instead (correct, only slower).
    return chunk.map((p) => ({ line: p.line, text: p.text, byte: p.byte, result: single(p.value) }));
  }
  const units: Unit[] = chunk.map((p) => ({
    line: p.line,
    text: p.text,
    byte: p.byte,
    result: { events: [], rejects: [], skipped: [] },
  }));
  for (const r of result.rejects) units[r.index!]!.result.rejects.push(r);
  let e = 0;
  chunk.forEach((_, i) => {
    if (!rejected.has(i)) units[i]!.result.events.push(result.events[e++]!);
  });
  return units;
}

/** Line formats: one unit per non-blank line (line numbers count every line, 1-based). */
async function* lineUnits(
  input: NodeJS.ReadableStream,
  format: Exclude<ImportFormat, 'csv'>,
  ctx: SenderContext,
  ipAsDevice: boolean,
): AsyncGenerator<Unit> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  const now = ctx.now ? { now: ctx.now } : {};
  // One folder per file: an asset/tunnel line folds into its person × host × minute's earlier event
  // (docs/MEANING.md "Proxy logs"); a re-import folds the same lines again, so the ids are the same.
  const squidCtx = {
    districtId: ctx.districtId,
    source: ctx.source,
    ipAsDevice,
    folder: new ProxyMinuteFolder(),
    ...now,
  };
  const caliperCtx = { districtId: ctx.districtId, source: ctx.source, ...now };
  const xapiCtx = { districtId: ctx.districtId, source: ctx.source, ...now };
  const batchable = format === 'ndjson' || format === 'xapi-ndjson';
  const adaptMany = (values: unknown[]) =>
    format === 'ndjson' ? adaptNativeItems(values, ctx) : adaptXapi(values, xapiCtx);
  const adaptSingle = (value: unknown) =>
    format === 'ndjson' ? adaptNativeItems([value], ctx) : adaptXapi(value, xapiCtx);
  let chunk: Pending[] = [];
  let lineNo = 0;
  for await (const text of rl) {
    lineNo++;
    if (text.trim().length === 0) continue;
    if (format === 'squid') {
      // Comment lines ('#') give an empty result: not counted as a line of data either.
      const result = adaptSquidLine(text, lineNo, squidCtx);
      if (result.events.length + result.rejects.length + result.skipped.length === 0) continue;
      yield { line: lineNo, text, result };
      continue;
    }
    // xAPI refuses a statement with a key given twice (JSON.parse would keep the last), as the HTTP route does.
    const parsed = parseJsonPayload(text, { line: lineNo, rejectDuplicateKeys: format === 'xapi-ndjson' });
    if (!parsed.ok) {
      // Flush first so units stay in line order.
      if (chunk.length > 0) yield* adaptChunk(chunk, adaptMany, adaptSingle);
      chunk = [];
      yield { line: lineNo, text, result: reject(lineNo, text, parsed.reason) };
      continue;
    }
    const value = parsed.value;
    if (batchable && !Array.isArray(value)) {
      chunk.push({ line: lineNo, text, value });
      if (chunk.length >= VALIDATE_CHUNK) {
        yield* adaptChunk(chunk, adaptMany, adaptSingle);
        chunk = [];
      }
      continue;
    }
    if (chunk.length > 0) yield* adaptChunk(chunk, adaptMany, adaptSingle);
    chunk = [];
    const result = format === 'caliper-ndjson' ? adaptCaliper(value, caliperCtx) : adaptSingle(value);
    // A native array line is one (refused) item; Caliper envelopes and arrays, xAPI arrays hold several.
    yield { line: lineNo, text, result: format === 'ndjson' ? result : withItemPaths(result, value) };
  }
  if (chunk.length > 0) yield* adaptChunk(chunk, adaptMany, adaptSingle);
}

/**
 * Rejections of the items of a line holding several (a Caliper Envelope's `data`, a JSON array) name
 * their field from the line, whose whole text is the dead letter's payload: `data.2.actor`, `2.actor`.
 * The adapters name it from the item (`actor`) with the item's 0-based `index`, as the HTTP routes
 * answer it, whose dead letters keep the item alone.
 */
function withItemPaths(result: AdaptResult, line: unknown): AdaptResult {
  const items = isObject(line) && Array.isArray(line['data']) ? 'data.' : Array.isArray(line) ? '' : null;
  if (items === null) return result;
  const rejects = result.rejects.map((r): Rejection => {
    if (r.index === undefined) return r;
    const item = `${items}${r.index}`;
    const { field, message } = r.reason;
    const path = field !== undefined ? `${item}.${field}` : item;
    const detail = field !== undefined && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
    return { ...r, reason: { ...r.reason, field: path, message: `${path}: ${detail}` } };
  });
  return { ...result, rejects };
}

/**
 * Fallback event_ids of one CSV file's rows without an `event_id`: `csv:` + sha256 of the row's
 * non-empty cells by column name and of how many identical rows came before it in the file. So two
 * identical rows stay two events, and a row keeps its id when the file is imported again with other
 * lines deleted, added or moved (the documented fix of a rejected row) or its columns reordered.
 * Keeps a 12-byte digest per distinct id-less row (about 60 bytes each).
 */
export class CsvRowIds {
  private readonly seen = new Map<string, number>();

  next(record: Record<string, string>): string {
    const cells = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
    const digest = createHash('sha256').update(canonicalJson(cells)).digest();
    const key = digest.toString('latin1', 0, 12);
    const before = this.seen.get(key) ?? 0;
    this.seen.set(key, before + 1);
    const id = createHash('sha256')
      .update(`${digest.toString('hex')}\n${before}`)
      .digest('hex');
    return `csv:${id.slice(0, 40)}`;
  }
}

/** CSV: one unit per record, through csv-parse (quoted fields, embedded new lines, BOM). */
async function* csvUnits(file: string, ctx: SenderContext): AsyncGenerator<Unit> {
  const columns = (header: string[]) => {
    const cols = header.map((h) => h.trim().toLowerCase());
    const known = new Set<string>([...CSV_COLUMNS, ...CSV_OPTIONAL_COLUMNS]);
    const unknown = cols.filter((c) => !known.has(c));
    if (unknown.length > 0) {
      throw new Error(`CSV header has unknown column(s) ${unknown.join(', ')}; expected: ${CSV_COLUMNS.join(',')}`);
    }
    return cols;
  };
  const adaptMany = (values: unknown[]) => adaptNativeItems(values, ctx);
  const adaptSingle = (value: unknown) => adaptNativeItems([value], ctx);
  const rowIds = new CsvRowIds();
  let chunk: Pending[] = [];
  for await (const item of readCsvRecords(file, columns, { trim: true })) {
    if ('error' in item) {
      // Dead letters of broken records go out with the records read so far (only DLQ order is affected).
      if (chunk.length > 0) yield* adaptChunk(chunk, adaptMany, adaptSingle);
      chunk = [];
      const reason = { code: 'unparseable_line', message: item.error } as const;
      yield { line: item.line, text: item.text, byte: item.byte, result: reject(item.line, item.text, reason) };
      continue;
    }
    chunk.push({
      line: item.line,
      text: item.text,
      byte: item.byte,
      value: csvRecordToEvent(item.record, rowIds),
    });
    if (chunk.length >= VALIDATE_CHUNK) {
      yield* adaptChunk(chunk, adaptMany, adaptSingle);
      chunk = [];
    }
  }
  if (chunk.length > 0) yield* adaptChunk(chunk, adaptMany, adaptSingle);
}

/** A flattened CSV record → a native event candidate (validated afterwards like any native event). */
export function csvRecordToEvent(record: Record<string, string>, rowIds: CsvRowIds): Record<string, unknown> {
  const v = (k: string) => {
    const x = record[k];
    return x === undefined || x === '' ? undefined : x;
  };
  const pick = (entries: Array<[string, string | undefined]>) => {
    const out: Record<string, string> = {};
    for (const [k, x] of entries) if (x !== undefined) out[k] = x;
    return out;
  };
  const activeText = v('active_seconds');
  const activeNumber = activeText === undefined ? undefined : Number(activeText);
  const event: Record<string, unknown> = {
    event_id: v('event_id') ?? rowIds.next(record),
    occurred_at: v('occurred_at'),
    type: v('type'),
    user: pick([
      ['sourced_id', v('user_sourced_id')],
      ['email', v('user_email')],
      ['username', v('user_username')],
      ['device_id', v('user_device_id')],
    ]),
    app: pick([
      ['app_id', v('app_id')],
      ['domain', v('app_domain')],
      ['url', v('app_url')],
    ]),
    // A non-number stays text so that validation names the field.
    active_seconds: activeNumber !== undefined && Number.isFinite(activeNumber) ? activeNumber : activeText,
    class_id: v('class_id'),
    school_id: v('school_id'),
    client_ip: v('client_ip'),
    district_id: v('district_id'),
    source: v('source'),
  };
  for (const k of Object.keys(event)) if (event[k] === undefined) delete event[k];
  return event;
}
