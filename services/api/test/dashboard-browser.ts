/** Helpers of the dashboard's browser test: Debian's chromium driven by @playwright/test's API (no browser download). */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored: the README's images are copied from here to docs/screenshots/ by hand after a look. */
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', '..', 'var', 'screenshots');

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: scripts/bootstrap installs Debian's package (or set CHROMIUM_PATH)`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A fresh browser context signed in with `token` through the sign-in form. */
export async function signIn(
  browser: Browser,
  base: string,
  token: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard/sign-in`);
  await page.getByLabel('API token').fill(token);
  await Promise.all([
    page.waitForURL(/\/dashboard\/(?!sign-in)/),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  return { context, page };
}

export type Cells = Record<string, string>[];

/** A table's rows as {column key: data-value} (the raw numbers behind the shown text). */
export function tableCells(page: Page, id: string): Promise<Cells> {
  return page.$$eval(`table[data-table="${id}"] tbody tr`, (trs) =>
    trs.map((tr) =>
      Object.fromEntries(
        [...tr.children].map((c) => [c.getAttribute('data-col') ?? '', c.getAttribute('data-value') ?? '']),
      ),
    ),
  );
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** axe-core's browser bundle, evaluated in the page through the driver (the pages' CSP allows no script). */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface A11yViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is (WCAG 2.x A/AA
 * rules and best practices), each with the elements it names: a test fails on any.
 */
export async function a11yViolations(page: Page): Promise<A11yViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    // Runs in the page: the DOM's document, typed loosely (the tests compile without the DOM lib).
    const win = globalThis as unknown as {
      axe: { run(ctx: unknown, opts: object): Promise<AxeResults> };
      document: unknown;
    };
    interface AxeResults {
      violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
    }
    const r = await win.axe.run(win.document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
      }));
  });
}
