/**
 * The README's dashboard images, from a running API on the demo's sample district (not part of the
 * suite's checks: it runs only when pointed at a server):
 *
 *   scripts/demo --serve        # prints the dashboard URL and a token
 *   DASHBOARD_URL=http://127.0.0.1:8084 DASHBOARD_TOKEN=eds_… npx jest services/api/test/dashboard-readme.test.ts
 *
 * Writes docs/screenshots/dashboard-*.png, and prints each page's server time (Server-Timing).
 * DASHBOARD_QUERY (e.g. `?from=2026-11-23&to=2026-11-27`) is the period of every page but Data health
 * (its default period, up to today, when the sample's inputs were rejected). The sample
 * district has no assessment results, so the Outcomes image is written only with
 * DASHBOARD_OUTCOMES_QUERY (`?app=…&assessment=…&subject=…&from=…&to=…`); otherwise it is copied from
 * dashboard.test.ts's var/screenshots/outcomes-analysis.png (district dC, 198 students).
 */
import path from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { launch, signIn } from './dashboard-browser';

const URL = process.env.DASHBOARD_URL;
const TOKEN = process.env.DASHBOARD_TOKEN;
const OUT = path.resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');

const maybe = URL && TOKEN ? describe : describe.skip;

maybe('README screenshots of the sample district', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await launch();
    page = (await signIn(browser, URL!, TOKEN!)).page;
  });
  afterAll(async () => browser?.close());

  test('pages', async () => {
    const q = process.env.DASHBOARD_QUERY ?? '';
    const times: Record<string, number> = {};
    const outcomes = process.env.DASHBOARD_OUTCOMES_QUERY;
    const pages: [string, string][] = [
      ...['overview', 'apps', 'licenses', 'schools'].map((slug): [string, string] => [slug, q]),
      // Data health over the default period (12 weeks to today): rejections are dated when they happen.
      ['health', ''],
      ...(outcomes ? [['outcomes', outcomes] as [string, string]] : []),
    ];
    for (const [slug, query] of pages) {
      for (let i = 0; i < 3; i++) {
        const res = await page.goto(`${URL}/dashboard/${slug}${query}`);
        expect(res?.status()).toBe(200);
        const ms = Number(/dur=([\d.]+)/.exec((await res?.headerValue('server-timing')) ?? '')?.[1] ?? NaN);
        times[slug] = Math.min(times[slug] ?? Infinity, ms);
      }
      await page.screenshot({
        path: path.join(OUT, `dashboard-${slug}.png`),
        fullPage: slug === 'licenses' || slug === 'health',
      });
    }
    process.stdout.write(`server time, best of 3 (ms): ${JSON.stringify(times)}\n`);
  });
});
