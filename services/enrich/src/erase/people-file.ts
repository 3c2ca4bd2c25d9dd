import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One id given to `people erase`, with where it was given (for errors naming it). */
export interface GivenId {
  id: string;
  /** `--person` or `<file>:<line>`. */
  from: string;
}

/**
 * A file of people to erase (`--people-file`), e.g. the SIS's list of students who left: one id per line
 * (sourcedId, email, username or state/local id); blank lines and lines starting with `#` are skipped.
 * A line with a comma or tab is refused, naming it: a CSV export's columns would otherwise be taken as
 * one id.
 */
export function readPeopleFile(file: string): GivenId[] {
  const name = path.basename(file);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const ids: GivenId[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/[,\t]/.test(line))
      throw new Error(`${name}:${i + 1}: one id per line (this line has a comma or tab: a CSV's columns?)`);
    ids.push({ id: line, from: `${name}:${i + 1}` });
  });
  if (ids.length === 0) throw new Error(`${name}: no id in the file (one id per line)`);
  return ids;
}
