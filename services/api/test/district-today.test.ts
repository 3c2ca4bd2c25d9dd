/**
 * "Today" is the district's local day: at 03:00 UTC it is still yesterday evening in Chicago (the
 * default zone), so a license window's default last day there is the day before the UTC date, while a
 * district configured in UTC already has the new day. The dashboard's default period uses the same day.
 */
import type { Browser } from '@playwright/test';
import { launch, signIn } from './dashboard-browser';
import { startHarness, type Harness } from './harness';

jest.setTimeout(120_000);

let h: Harness;
let base: string;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness('api_district_today', { DISTRICT_TIMEZONES: 'dB=UTC' }, new Date('2026-09-17T03:00:00Z'));
  base = await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const windowOf = async (token: string) => {
  const r = await h.get('/v1/licenses?window=7d', token);
  expect(r.status).toBe(200);
  const { from, to } = r.json as { from: string; to: string };
  return [from, to];
};

test("a license window ends on the district's local today by default", async () => {
  expect(await windowOf(h.tokens.director)).toEqual(['2026-09-10', '2026-09-16']); // dA: America/Chicago
  expect(await windowOf(h.tokens.foreign)).toEqual(['2026-09-11', '2026-09-17']); // dB: UTC
});

test("the dashboard's period ends on the local day, its dead letters of today on the UTC day they are dated in", async () => {
  const { page, context } = await signIn(browser, base, h.tokens.director);
  try {
    await page.goto(`${base}/dashboard/overview`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Dead letters today (2026-09-17, UTC)');
    expect(await page.locator('input[name="to"]').inputValue()).toBe('2026-09-16');
  } finally {
    await context.close();
  }
});
