import { fmtMonth, fmtUtcMinute, html, type Html } from '../../html';
import { table, type Table } from '../../table';
import { sum } from '../../usage';
import type { DeadLetterStageRow, Lag, OverviewAnswers } from './answers';

/** What the pipeline health section can tell of the lag answer. */
export interface PipelineState {
  /** The lag answer, when there is one (the newest stored event and the compaction's last run). */
  lag: Lag | undefined;
  /** Why the lag cannot be shown now; null when it can, or when the token may not read it. */
  lagError: string | null;
  /** Each consumer group's lag, when Kafka answered. */
  kafkaLag: Lag['groups'] | undefined;
}

export function pipelineStateOf(answer: OverviewAnswers['lag']): PipelineState {
  // Kafka may not answer (or not host the topics yet): the rest of the page still shows.
  const lag = answer && !(answer instanceof Error) ? (answer.body as unknown as Lag) : undefined;
  const lagError = answer instanceof Error ? answer.message : (lag?.kafka_error ?? null);
  const kafkaLag = lag && lag.kafka_error === null ? lag.groups : undefined;
  return { lag, lagError, kafkaLag };
}

/** The rollup compaction's last run, for the pipeline health section. */
export function compactionLine(c: Lag['rollup_compaction']): Html {
  const when =
    c.last_checked_at === null || c.seconds_since_checked === null
      ? 'no compaction run yet'
      : `last run ${fmtUtcMinute(c.last_checked_at)} (${Math.round(c.seconds_since_checked / 60)} minutes ago)`;
  const waiting =
    c.months_not_compacted.length === 0
      ? ''
      : `; months not compacted yet: ${c.months_not_compacted.map(fmtMonth).join(', ')}`;
  return html`<p>Rollup compaction: ${when}${waiting}.</p>`;
}

/** Each Kafka consumer group's lag, when Kafka answered. */
export function lagTable(groups: Lag['groups']): Table {
  return table({
    id: 'lag',
    caption: 'Kafka consumer lag (messages not yet processed)',
    empty: 'No consumer groups.',
    rows: groups,
    columns: [
      { key: 'group', label: 'Group', value: (g) => g.group },
      { key: 'lag', label: 'Lag (messages)', numeric: true, value: (g) => g.lag },
    ],
  });
}

/** All-time dead letters, one row per stage (in the order the stages first come in the answer). */
export function deadLettersByStage(rows: DeadLetterStageRow[]): Table {
  return table({
    id: 'dead-letters',
    caption: 'Dead letters by stage (all time)',
    empty: 'No dead letters.',
    rows: [...new Set(rows.map((r) => r.stage))].map((stage) => ({
      stage,
      count: sum(rows.filter((r) => r.stage === stage).map((r) => r.count)),
    })),
    columns: [
      { key: 'stage', label: 'Stage', value: (r) => r.stage },
      { key: 'count', label: 'Inputs', numeric: true, value: (r) => r.count },
    ],
  });
}
