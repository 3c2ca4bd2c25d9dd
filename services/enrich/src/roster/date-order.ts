import { readCsvRows, type CsvReadOptions, type RosterIssue } from './csv';
import { SLASH_ORDER_NAMES, slashOrderShown, type SlashOrder } from './dates';

/** A reader's date columns, and the order its format states for slash dates (SDS: month first). */
export interface DateColumns {
  columns: readonly string[];
  formatOrder?: SlashOrder;
}

/** A slash date of the file, where it is. */
interface Seen {
  line: number;
  field: string;
  value: string;
}

/** What a file's slash dates show about their order: the first that shows one, the first against it. */
class OrderEvidence {
  shown: { order: SlashOrder; at: Seen } | null = null;
  against: Seen | null = null;
  either: Seen | null = null;

  add(at: Seen): void {
    const order = slashOrderShown(at.value);
    if (order === null) return;
    if (order === 'either') this.either ??= at;
    else if (this.shown === null) this.shown = { order, at };
    else if (order !== this.shown.order) this.against ??= at;
  }
}

/** A line without a slash date tells nothing: the first pass does not split it into cells. */
const HAS_SLASH_DATE = /\d\/\d{1,2}\/\d{4}/;

function mixedOrders(file: string, shown: { order: SlashOrder; at: Seen }, against: Seen): RosterIssue {
  const other: SlashOrder = shown.order === 'mdy' ? 'dmy' : 'mdy';
  return {
    file,
    line: against.line,
    field: against.field,
    severity: 'error',
    scope: 'file',
    message:
      `${against.field} "${against.value}" can only be ${SLASH_ORDER_NAMES[other]}, but ${shown.at.field} ` +
      `"${shown.at.value}" on line ${shown.at.line} can only be ${SLASH_ORDER_NAMES[shown.order]}: the file mixes ` +
      'date orders, so none of its slash dates can be read safely. Export its dates in one order (best YYYY-MM-DD)',
  };
}

function undecided(file: string, either: Seen): RosterIssue {
  return {
    file,
    field: either.field,
    severity: 'warning',
    message:
      `no slash date of the file has a part above 12 (e.g. ${either.field} "${either.value}" on line ${either.line}), ` +
      `so their order cannot be told: they are read ${SLASH_ORDER_NAMES.mdy}. If they are day first, export them as YYYY-MM-DD`,
  };
}

function decide(
  file: string,
  dates: DateColumns,
  evidence: OrderEvidence,
): { order: SlashOrder; issues: RosterIssue[] } {
  const { shown, against, either } = evidence;
  if (shown !== null) return { order: shown.order, issues: against ? [mixedOrders(file, shown, against)] : [] };
  if (dates.formatOrder) return { order: dates.formatOrder, issues: [] };
  return { order: 'mdy', issues: either ? [undecided(file, either)] : [] };
}

/**
 * The order of a file's slash dates, decided once for the file by a first pass over its date
 * columns: a value whose first part is above 12 means day first, one whose second part is above 12
 * month first. Values showing both orders are a file-level error naming the line and field of the
 * first one against the order shown first (the import refuses: no slash date of the file can be
 * trusted). A file that shows neither is read in its format's order, else month first (a US product)
 * with one warning for the file. `csv` reads the columns as the main pass does (renames).
 */
export async function fileSlashOrder(
  file: string,
  name: string,
  dates: DateColumns,
  csv: CsvReadOptions,
): Promise<{ order: SlashOrder; issues: RosterIssue[] }> {
  const evidence = new OrderEvidence();
  const ignore = () => undefined; // the main pass reports the rows' problems
  for await (const row of readCsvRows(file, name, ignore, { ...csv, only: HAS_SLASH_DATE })) {
    for (const field of dates.columns) {
      const value = row.values.get(field.toLowerCase());
      if (value) evidence.add({ line: row.line, field, value });
    }
    if (evidence.against !== null) break;
  }
  return decide(name, dates, evidence);
}
