import { readCsvRecords } from './csv-records';
import {
  EDFI_ACTIVITY_COLUMNS,
  EDFI_USERS_COLUMNS,
  GOOGLE_CLASSROOM_USAGE_COLUMNS,
  SCHOOLOGY_COLUMNS,
  adaptEdfiActivityRow,
  adaptGoogleClassroomUsageRow,
  adaptSchoologyRow,
  edfiUserEntry,
  makeNativeEventSchema,
  missingColumns,
  type AdaptResult,
  type EdfiContext,
  type UserRef,
  type VendorRow,
} from '@edusage/contracts';

/**
 * Import formats for vendor usage exports (docs/MEANING.md "Vendor usage exports"): the CSV is
 * streamed with csv-parse, each record goes to its adapter in @edusage/contracts with its line.
 */
export const VENDOR_FORMAT_NAMES = [
  'schoology-activities',
  'edfi-system-activities',
  'edfi-section-activities',
  'google-classroom-usage',
] as const;
export type VendorFormat = (typeof VENDOR_FORMAT_NAMES)[number];

type Schema = ReturnType<typeof makeNativeEventSchema>;

interface VendorFormatEntry {
  /** Header columns the file must have (others are ignored). */
  columns: readonly string[];
  adapt: (row: VendorRow, ctx: EdfiContext, schema: Schema) => AdaptResult;
}

/** One entry per format: which columns it needs and which adapter reads its rows. */
export const VENDOR_FORMATS: Record<VendorFormat, VendorFormatEntry> = {
  'schoology-activities': { columns: SCHOOLOGY_COLUMNS, adapt: adaptSchoologyRow },
  'edfi-system-activities': {
    columns: EDFI_ACTIVITY_COLUMNS['system-activities'],
    adapt: (row, ctx, schema) => adaptEdfiActivityRow('system-activities', row, ctx, schema),
  },
  'edfi-section-activities': {
    columns: EDFI_ACTIVITY_COLUMNS['section-activities'],
    adapt: (row, ctx, schema) => adaptEdfiActivityRow('section-activities', row, ctx, schema),
  },
  'google-classroom-usage': { columns: GOOGLE_CLASSROOM_USAGE_COLUMNS, adapt: adaptGoogleClassroomUsageRow },
};

export function isVendorFormat(format: string): format is VendorFormat {
  return (VENDOR_FORMAT_NAMES as readonly string[]).includes(format);
}

/** One CSV record (or a record csv-parse could not read) and what it became. */
export interface VendorUnit {
  line: number;
  /** The record's original text, for the dead letter. */
  text: string;
  result: AdaptResult;
  /** Where in the file the record ends (progress). */
  byte: number;
}

/**
 * Streams a vendor CSV: one unit per record, in file order. A header without the format's columns
 * is a fatal error naming them (nothing is sent); a record csv-parse cannot read (wrong number of
 * fields, broken quotes) becomes an `unparseable_line` rejection with its line, and reading goes on.
 */
export async function* vendorUnits(file: string, format: VendorFormat, ctx: EdfiContext): AsyncGenerator<VendorUnit> {
  const entry = VENDOR_FORMATS[format];
  const schema = makeNativeEventSchema(ctx.now);
  const columns = (header: string[]) => {
    const missing = missingColumns(header, entry.columns);
    if (missing.length > 0)
      throw new Error(`${format}: the header lacks column(s) ${missing.map((c) => `"${c}"`).join(', ')}`);
    return header.map((h) => h.replace(/^\uFEFF/, '').trim());
  };
  for await (const item of readCsvRecords(file, columns)) {
    const { line, text } = item;
    if ('error' in item) {
      const reason = { code: 'unparseable_line', message: item.error, line } as const;
      yield {
        line,
        text,
        byte: item.byte,
        result: { events: [], rejects: [{ reason, payload: text, index: line }], skipped: [] },
      };
      continue;
    }
    yield { line, text, byte: item.byte, result: entry.adapt({ line, record: item.record }, ctx, schema) };
  }
}

/**
 * Reads Ed-Fi unified `users` files into the map the Ed-Fi adapters resolve LMS user ids with.
 * Later files win for the same user (give the snapshots oldest first). A file without the id
 * columns, or with a record csv-parse cannot read, is a fatal error.
 */
export async function loadEdfiUsers(files: readonly string[]): Promise<Map<string, UserRef>> {
  const users = new Map<string, UserRef>();
  const columns = (file: string) => (header: string[]) => {
    const missing = missingColumns(header, EDFI_USERS_COLUMNS);
    if (missing.length > 0) throw new Error(`${file}: not an Ed-Fi users file (no ${missing.join(', ')})`);
    return header.map((h) => h.trim());
  };
  for (const file of files) {
    for await (const item of readCsvRecords(file, columns(file))) {
      // A person missing from the map would silently stay unresolved: a broken users file is fatal.
      if ('error' in item) throw new Error(`${file}: ${item.error}`);
      const entry = edfiUserEntry(item.record);
      if (entry) users.set(entry[0], entry[1]);
    }
  }
  return users;
}
