import { pageCompactions } from './data';
import { fmtMonth, fmtUtcMinute, html, Html, qs } from './html';
import type { PageContent, PageDefinition } from './page';
import type { Freshness, FreshnessMeta } from '../freshness';
import type { Period } from './period';
import { renderTable } from './table';
import type { Principal } from '../tokens';

export const BASE = '/dashboard';

function shell(title: string, body: Html, header: Html = html``): string {
  return `<!doctype html>${
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · edusage</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="${BASE}/assets/style.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>${header}
        <main id="main">${body}</main>
      </body>
    </html>`.value
  }`;
}

export interface Frame {
  principal: Principal;
  /** A school token's school as the page calls it (its name, else its id). */
  schoolName?: string;
  pages: readonly PageDefinition[];
  current: string;
  csrf: string;
  /** The page's URL query (kept in CSV links and the period form). */
  query: Record<string, string | undefined>;
  /** What the period form shows chosen when the URL names no freshness (the API's default). */
  defaultFreshness: Freshness;
}

function header(f: Frame): Html {
  const nav = f.pages
    .filter((p) => p.roles.includes(f.principal.role))
    .map(
      (p) =>
        html`<li>
          <a href="${BASE}/${p.slug}" ${new Html(p.slug === f.current ? ' aria-current="page"' : '')}>${p.nav}</a>
        </li>`,
    );
  const who =
    f.principal.role === 'school' ? `${f.principal.role} ${f.schoolName ?? f.principal.school_id}` : f.principal.role;
  return html`<header>
    <div class="brand">edusage <span>district ${f.principal.district_id} · ${who}</span></div>
    <nav aria-label="Pages">
      <ul>
        ${nav}
      </ul>
    </nav>
    <form method="post" action="${BASE}/sign-out">
      <input type="hidden" name="csrf" value="${f.csrf}" /><button type="submit">Sign out</button>
    </form>
  </header>`;
}

/** The freshness choices of the period form: the API's `freshness` values (params.ts). */
const FRESHNESS_CHOICES: readonly (readonly [Freshness, string])[] = [
  ['compacted', 'As of the last compaction (faster)'],
  ['live', 'Live (slower)'],
];

/**
 * From, to and (on a page whose reads take one) the freshness; the URL's other parameters ride along,
 * a freshness too on a page without the choice, so the next page keeps it.
 */
function periodForm(p: Period, f: Frame, choice: boolean): Html {
  const keep = Object.entries(f.query).filter(
    ([k, v]) => v !== undefined && !['from', 'to', 'download', ...(choice ? ['freshness'] : [])].includes(k),
  );
  const chosen = p.freshness ?? f.defaultFreshness;
  const options = FRESHNESS_CHOICES.map(
    ([value, label]) =>
      html`<option value="${value}" ${new Html(value === chosen ? 'selected' : '')}>${label}</option>`,
  );
  const select = html`<label
    >Data
    <select name="freshness">
      ${options}
    </select></label
  >`;
  return html`<form class="period" method="get">
    <label>From <input type="date" name="from" value="${p.from}" required /></label
    ><label>To <input type="date" name="to" value="${p.to}" required /></label
    >${choice ? select : ''}${keep.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}<button
      type="submit"
    >
      Show
    </button>
  </form>`;
}

/**
 * Under the period form, when some of the page's answers were read as of the compactions: which
 * compaction each month was read through and until when it was checked complete, and the months read
 * with everything folded for want of one (from those answers; the page's other figures are live).
 */
function freshnessNote(answers: readonly FreshnessMeta[]): Html {
  const { compactions, months_not_compacted } = pageCompactions(answers);
  const read = [
    ...new Set(
      compactions.map(
        (c) =>
          `${fmtMonth(c.month)} as compacted ${fmtUtcMinute(c.compacted_at)}, checked complete as of ${fmtUtcMinute(c.checked_at)}`,
      ),
    ),
  ];
  const inFull = months_not_compacted.map(fmtMonth);
  // Nothing of the period compacted yet (a new deployment, a new month): the figures are live ones.
  if (read.length === 0)
    return html`<p class="freshness-note">
      Usage, license and unresolved figures: no month of the period compacted yet, so everything folded so far is
      read${inFull.length > 0 ? ` (${inFull.join(', ')})` : ''}.
    </p>`;
  return html`<p class="freshness-note">
    Usage, license and unresolved figures as of the rollup compactions:
    ${read.join('; ')}.${
      inFull.length > 0 ? ` Not compacted yet, read with everything folded: ${inFull.join(', ')}.` : ''
    }
  </p>`;
}

/** A page; the freshness of its answers read as of the compactions is noted under the period form. */
export function renderPage(f: Frame, content: PageContent, compacted: readonly FreshnessMeta[] = []): string {
  const csvHref = (id: string) => `${BASE}/${f.current}${qs({ ...f.query, download: id })}`;
  const blocks = content.blocks.map((b) => (b instanceof Html ? b : renderTable(b, csvHref(b.id))));
  const body = html`<h1>${content.title}</h1>
    ${content.period ? periodForm(content.period, f, content.freshnessChoice !== false) : ''}${compacted.length > 0 ? freshnessNote(compacted) : ''}${blocks}`;
  return shell(content.title, body, header(f));
}

/** A message page inside the frame: bad input, no access, unknown thing. Never a stack trace. */
export function renderMessage(f: Frame, title: string, messages: string[]): string {
  const body = html`<h1>${title}</h1>
    <div class="message" role="alert">
      <ul>
        ${messages.map((m) => html`<li>${m}</li>`)}
      </ul>
    </div>
    <p><a href="${BASE}/${f.current}">Back to the page without these parameters</a></p>`;
  return shell(title, body, header(f));
}

export function renderSignIn(error?: string): string {
  const body = html`<h1>Sign in to the edusage dashboard</h1>
    ${error ? html`<div class="message" role="alert"><p>${error}</p></div>` : ''}
    <form class="sign-in" method="post" action="${BASE}/sign-in">
      <label for="token">API token</label
      ><input id="token" name="token" type="password" autocomplete="off" required spellcheck="false" />
      <p class="hint">
        A token made by <code>edusage-api tokens create</code> (or printed by the demo). It decides your district and
        what you may see.
      </p>
      <button type="submit">Sign in</button>
    </form>`;
  return shell('Sign in', body);
}
