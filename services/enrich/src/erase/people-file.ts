import { readFileSync } from 'node:fs';

/** One id given to `people erase`, with where it was given (for errors naming it). */
export interface GivenId {
  id: string;
  /** `--person` or `<file>:<line>`. */
  from: string;
}

/** A people file's first line taken as its header; `alone`: the file holds no id besides it. */
export interface HeaderLine extends GivenId {
  alone: boolean;
}

/** What a people file held: its ids, and the header line it began with, if any (skipped). */
export interface PeopleFile {
  ids: GivenId[];
  /**
   * A first line that names a column of ids (an export's header: `email`, `sourcedId`, …), or null. Not
   * in `ids`: `erasePeople` erases it only if a roster user has that very id (`headersNamingUsers`).
   */
  header: HeaderLine | null;
}

/**
 * Column names an export of one column of ids begins with (compared without case, `_`, `-` or `.`):
 * taken as an id, such a line would match nobody and be reported as a person the roster lacks.
 */
const ID_COLUMN_NAMES = new Set([
  'id',
  'ids',
  'sourcedid',
  'userid',
  'usersourcedid',
  'username',
  'email',
  'emailaddress',
  'identifier',
  'studentid',
  'studentnumber',
  'personid',
  'stateid',
  'localid',
  'sisid',
]);

const isIdColumnName = (line: string) => ID_COLUMN_NAMES.has(line.toLowerCase().replace(/[_.-]/g, ''));

/**
 * A file of people to erase (`--people-file`), e.g. the SIS's list of students who left: one id per line
 * (sourcedId, email, username or state/local id), optionally in double quotes; blank lines and lines
 * starting with `#` are skipped, and a first line that names a column of ids (`sourcedId`, `email`, …: a
 * one-column export's header) is returned apart, as `header`. A line that looks like more than one value (a comma, semicolon, tab
 * or space inside, a quote left over) or holds control characters (a UTF-16 file read as UTF-8) is
 * refused, naming the file and line: taken as one id it would match nobody and the person would stay.
 */
export function readPeopleFile(file: string): PeopleFile {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const ids: GivenId[] = [];
  let header: GivenId | null = null;
  let first = true;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const where = `${file}:${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const id = /^"[^"]*"$/.test(line) ? line.slice(1, -1).trim() : line;
    const isFirst = first;
    first = false;
    if (isFirst && isIdColumnName(id)) {
      header = { id, from: where };
      continue;
    }
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    if (/[\u0000-\u001f\u007f]/.test(id))
      throw new Error(`${where}: control characters in the line (is the file UTF-16? save it as UTF-8)`);
    if (/[,;\s"]/.test(id) || id === '')
      throw new Error(`${where}: one id per line (this line has a comma, semicolon, space or quote: a CSV's columns?)`);
    ids.push({ id, from: where });
  }
  if (ids.length === 0 && header === null) throw new Error(`${file}: no id in the file (one id per line)`);
  return { ids, header: header === null ? null : { ...header, alone: ids.length === 0 } };
}
