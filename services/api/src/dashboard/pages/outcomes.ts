import { html } from '../html';
import type { PageDefinition } from '../page';

/**
 * The outcomes analysis (packages/outcomes: dosage bands, growth with 95 % CIs, regression, verdict)
 * has no API endpoint yet; the dashboard shows only what the API serves, so this page says so until
 * that endpoint exists, and never estimates a figure itself.
 */
export const outcomesPage: PageDefinition = {
  slug: 'outcomes',
  nav: 'Outcomes',
  roles: ['admin', 'director', 'school'],
  async build() {
    return {
      title: 'Outcomes',
      blocks: [
        html`<div class="empty-state">
          <h2>No outcome data yet</h2>
          <p>
            This page will show, per app, growth by usage band with 95 % confidence intervals, usage against growth with
            the fitted line, the regression table and a plain-language verdict, with small cells shown as suppressed.
          </p>
          <p>
            This server has no outcomes import and no outcomes endpoint yet, so there is nothing to show: no figure here
            is estimated or made up.
          </p>
        </div>`,
      ],
    };
  },
};
