import { campusBlocks } from '../campus';
import { deadLettersToday } from '../dead-letters';
import { html } from '../html';
import type { PageDefinition } from '../page';
import { pagePeriod } from '../period';
import { readOverview } from './overview/answers';
import { unresolvedTable } from './overview/data-quality';
import { overviewKpis } from './overview/kpis';
import { compactionLine, deadLettersByStage, lagTable, pipelineStateOf } from './overview/pipeline';
import { usageBlocks } from './overview/usage';

export { compactionLine };

/**
 * The district at a glance: key figures, weekly use and top apps, data quality, on and off campus,
 * pipeline health. The sections are built in overview/; this is the page's order of them.
 */
export const overviewPage: PageDefinition = {
  slug: 'overview',
  nav: 'Overview',
  roles: ['admin', 'director'],
  async build(ctx) {
    const { principal, query, today, utcToday } = ctx;
    const period = pagePeriod(query, today);
    const answers = await readOverview(ctx, period);
    const { apps, weekRows, campus } = answers;
    const pipeline = pipelineStateOf(answers.lag);
    const { lag, lagError, kafkaLag } = pipeline;
    const kpis = overviewKpis(answers, pipeline);
    return {
      title: 'Overview',
      period,
      blocks: [
        html`<ul class="kpis">
          ${kpis.map(([k, v]) => html`<li><span class="k">${k}</span><span class="v">${v}</span></li>`)}
        </ul>`,
        ...(apps.length === 0
          ? [
              html`<div class="empty-state">
                <h2>No usage in this period</h2>
                <p class="empty">
                  No event of district ${principal.district_id} is stored for ${period.from} to ${period.to}. If events
                  are being sent, see Data health for rejected input; otherwise pick a period with data.
                </p>
              </div>`,
            ]
          : usageBlocks(apps, weekRows, period, ctx.labels)),
        html`<h2>Data quality</h2>`,
        unresolvedTable(answers.unresolved),
        ...campusBlocks(campus, period),
        html`<h2>Pipeline health</h2>`,
        kafkaLag
          ? lagTable(kafkaLag)
          : lagError !== null
            ? html`<p class="message" role="status">Pipeline lag is unavailable now: ${lagError}</p>`
            : html`<p class="note">
                Pipeline lag is shown to admin tokens only (it counts every district's messages).
              </p>`,
        lag ? html`<p>Newest stored event: ${lag.last_stored_at || 'none yet'}.</p>` : html``,
        lag ? compactionLine(lag.rollup_compaction) : html``,
        deadLettersToday(answers.deadToday, utcToday),
        deadLettersByStage(answers.deadLetters),
      ],
    };
  },
};
