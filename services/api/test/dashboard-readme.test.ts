/**
 * The README's dashboard images, from a running API on the demo's sample district (not part of the
 * suite's checks: it runs only when pointed at a server):
 *
 *   scripts/demo --serve        # prints the dashboard URL and a token
 *   DASHBOARD_URL=http://127.0.0.1:8084 DASHBOARD_TOKEN=eds_… npx jest services/api/test/dashboard-readme.test.ts
 *
 * Writes docs/screenshots/dashboard-*.png, and prints each page's server time (Server-Timing).
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
    for (const slug of ['overview', 'apps', 'licenses', 'schools', 'health', 'outcomes']) {
      for (let i = 0; i < 3; i++) {
        const res = await page.goto(`${URL}/dashboard/${slug}${q}`);
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
