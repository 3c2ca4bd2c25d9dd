import { CALIPER_SHAPE_TABLE, CALIPER_TABLE } from './caliper-meaning';
import { isUsage, outcomeLabel, type Meaning, type MeaningOutcome, type TimeRule, type Whose } from './types';
import { XAPI_OTHER_VERB, XAPI_SHAPE_TABLE, XAPI_VERB_TABLE } from './xapi-meaning';

/**
 * Renders the meaning tables as the Markdown tables of docs/MEANING.md. The doc holds them between
 * `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`; a test fails when the doc and
 * the code disagree, and `node packages/contracts/scripts/render-meaning.js` (after `pnpm build`)
 * rewrites them.
 */

const WHOSE: Record<Whose, string> = { actor: 'actor', session_user: 'session user', nobody: 'nobody' };

function timeLabel(time: TimeRule, outcome: MeaningOutcome, duration: string): string {
  switch (time) {
    case 'duration_or_minute':
      return `${duration}, else a minute`;
    case 'duration_only':
      return `${duration}, else none; never a minute`;
    case 'minute':
      return 'a minute';
    case 'none':
      return outcome.kind === 'event' && outcome.type !== 'login' && outcome.type !== 'logout'
        ? 'none (explicit 0 s)'
        : 'none';
  }
}

function cells(m: Meaning, duration: string): string[] {
  return [
    isUsage(m) ? 'yes' : 'no',
    WHOSE[m.whose],
    `\`${outcomeLabel(m.outcome)}\``,
    timeLabel(m.time, m.outcome, duration),
  ];
}

function table(head: string[], rows: string[][]): string {
  const line = (c: string[]): string => `| ${c.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const code = (s: string): string => `\`${s}\``;

export function renderXapiVerbTable(): string {
  const dur = '`result.duration`';
  const rows = [...XAPI_VERB_TABLE, XAPI_OTHER_VERB].map((r) => [
    r.words.length ? r.words.map(code).join(', ') : '*any other verb*',
    r.iris.length ? r.iris.map(code).join('<br>') : '—',
    r.families.join(', '),
    ...cells(r, dur),
    `${code(outcomeLabel(r.inCmi5Session.outcome))}, ${timeLabel(r.inCmi5Session.time, r.inCmi5Session.outcome, dur)}`,
    r.why,
  ]);
  return table(
    [
      'verb (last IRI segment)',
      'IRIs seen',
      'sent by',
      'usage',
      'whose',
      'native type',
      'time',
      'in a cmi5 session',
      'why',
    ],
    rows,
  );
}

export function renderXapiShapeTable(): string {
  const rows = XAPI_SHAPE_TABLE.map((r) => [r.shape, ...cells(r, '`result.duration`'), r.why]);
  return table(['statement shape', 'usage', 'whose', 'outcome', 'time', 'why'], rows);
}

export function renderCaliperTable(): string {
  const dur = 'MinutesOnTask × 60';
  const rows = CALIPER_TABLE.map((r) => [
    code(r.type),
    r.actions.map(code).join(', '),
    r.versions.join(', '),
    ...cells(r, dur),
    r.requires ? `${r.why} (requires ${r.requires.map(code).join(', ')})` : r.why,
  ]);
  return table(['type', 'actions', 'Caliper', 'usage', 'whose', 'native type', 'time', 'why'], rows);
}

export function renderCaliperShapeTable(): string {
  const rows = CALIPER_SHAPE_TABLE.map((r) => [r.shape, ...cells(r, 'MinutesOnTask × 60'), r.why]);
  return table(['input', 'usage', 'whose', 'outcome', 'time', 'why'], rows);
}

/** The generated sections of docs/MEANING.md by name. */
export const MEANING_SECTIONS: Record<string, () => string> = {
  'xapi-verbs': renderXapiVerbTable,
  'xapi-shapes': renderXapiShapeTable,
  'caliper-events': renderCaliperTable,
  'caliper-shapes': renderCaliperShapeTable,
};

/**
 * The doc with every generated section replaced by the current rendering. Throws when a section's
 * markers are missing, so a doc that lost a table is noticed.
 */
export function renderMeaningDoc(doc: string): string {
  let out = doc;
  for (const [name, render] of Object.entries(MEANING_SECTIONS)) {
    const begin = `<!-- BEGIN GENERATED: ${name} -->`;
    const end = `<!-- END GENERATED: ${name} -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`docs/MEANING.md: the markers of section ${name} are missing`);
    out = `${out.slice(0, i + begin.length)}\n${render()}\n${out.slice(j)}`;
  }
  return out;
}
