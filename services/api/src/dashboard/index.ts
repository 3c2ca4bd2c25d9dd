import { readFileSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiDeps } from '../endpoint';
import type { ApiMetrics } from '../metrics';
import { hashToken, ROLES, type Principal } from '../tokens';
import { META_HEADER, metaHeaderValue } from '../csv';
import { visibleNames } from '../endpoints/names';
import type { FreshnessMeta } from '../freshness';
import { compactedReads, pageCompactions, PageError } from './data';
import { Html } from './html';
import { labelsOf, type Labels } from './labels';
import { BASE, renderMessage, renderPage, renderSignIn, type Frame } from './layout';
import type { PageDefinition } from './page';
import { pageBudget, type PageBudgetAnswer } from './page-budget';
import { PAGES } from './pages';
import { csrfMatches, SESSION_COOKIE, SESSION_SECONDS, SessionStore, type Session } from './session';
import { tableCsv, type Table } from './table';

// Read from src/ (also shipped in the image): one stylesheet, served from here, nothing from elsewhere.
const STYLE = readFileSync(path.join(__dirname, '..', '..', 'src', 'dashboard', 'style.css'), 'utf8');

/** Parameters a page understands; anything else is named back to the user. */
const PAGE_PARAMS = new Set([
  'from',
  'to',
  'freshness',
  'app',
  'school',
  'class',
  'license',
  'assessment',
  'subject',
  'download',
]);

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer Chrome sends `Origin: null` on form POSTs, failing the Origin check.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

export interface DashboardDeps {
  deps: ApiDeps;
  redis: Redis;
  keyPrefix: string;
  /** Pages (CSV downloads included) one token may open per `windowMs` (API_DASHBOARD_PAGE_LIMIT). */
  pageLimit: number;
  /** API_RATE_WINDOW_MS. */
  windowMs: number;
  /** Pages refused by the budget are counted in edusage_api_rate_limited_total (kind dashboard_page). */
  metrics: Pick<ApiMetrics, 'rateLimited'>;
}

const cookieOptions = { path: BASE, httpOnly: true, sameSite: 'strict' as const };

/** A POST must come from a page of this server (SameSite=Strict already keeps the cookie off cross-site requests). */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function pageQuery(raw: unknown): { query: Record<string, string | undefined>; issues: string[] } {
  const query: Record<string, string | undefined> = {};
  const issues: string[] = [];
  for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    if (!PAGE_PARAMS.has(k))
      issues.push(`${k.slice(0, 40)}: unknown parameter (known: ${[...PAGE_PARAMS].join(', ')})`);
    else if (typeof v !== 'string') issues.push(`${k}: given more than once`);
    else query[k] = v;
  }
  return { query, issues };
}

/**
 * The dashboard: server-rendered pages under /dashboard over the API's own endpoint handlers, signed in
 * with an API token (session in Redis, HttpOnly SameSite=Strict cookie, Origin check and a per-session
 * CSRF token on POSTs). Registered by buildServer; its routes are outside the per-token API rate limit
 * except sign-in, which keeps the per-IP limit of requests without a token (throttles guessing); each
 * token's page views have a budget of their own (API_DASHBOARD_PAGE_LIMIT).
 */
export async function registerDashboard(app: FastifyInstance, d: DashboardDeps): Promise<void> {
  const sessions = new SessionStore(d.redis, d.keyPrefix);
  const budget = pageBudget(d.redis, { keyPrefix: d.keyPrefix, limit: d.pageLimit, windowMs: d.windowMs });
  await app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 4096 });
    scope.addHook('onSend', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });

    const signedIn = async (request: FastifyRequest) => {
      const id = request.cookies[SESSION_COOKIE];
      const session = await sessions.get(id);
      const principal = session ? await d.deps.tokens.resolveHash(session.token_hash) : null;
      return session && principal && id ? { id, session, principal } : null;
    };
    // Where a role starts: the district overview, else its school, else the research views.
    const home = (p: Principal) =>
      ['overview', 'schools', 'research']
        .map((slug) => PAGES.find((page) => page.slug === slug)!)
        .find((page) => page.roles.includes(p.role))!;
    const toSignIn = (reply: FastifyReply) =>
      reply.clearCookie(SESSION_COOKIE, cookieOptions).redirect(`${BASE}/sign-in`, 303);

    scope.get(`${BASE}/assets/style.css`, { config: { rateLimit: false } }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE),
    );

    scope.get(BASE, { config: { rateLimit: false } }, async (request, reply) => {
      const s = await signedIn(request);
      return s ? reply.redirect(`${BASE}/${home(s.principal).slug}`, 303) : toSignIn(reply);
    });

    scope.get(`${BASE}/sign-in`, { config: { rateLimit: false } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(renderSignIn()),
    );

    scope.post(`${BASE}/sign-in`, async (request, reply) => {
      const html = (status: number, message: string) =>
        reply.code(status).type('text/html; charset=utf-8').send(renderSignIn(message));
      if (!sameOrigin(request)) return html(403, 'This form must be sent from this server’s own sign-in page.');
      const token = (request.body as Record<string, unknown> | undefined)?.token;
      const principal = typeof token === 'string' ? await d.deps.tokens.resolve(token.trim()) : null;
      if (!principal) return html(401, 'That token is unknown, revoked or mistyped.');
      const { id } = await sessions.create(hashToken((token as string).trim()));
      return (
        reply
          // Secure whenever the page came over TLS (directly, or per a trusted proxy's X-Forwarded-Proto),
          // so the browser never sends the session over plain HTTP; not on a plain-HTTP local setup.
          .setCookie(SESSION_COOKIE, id, {
            ...cookieOptions,
            secure: request.protocol === 'https',
            maxAge: SESSION_SECONDS,
          })
          .redirect(`${BASE}/${home(principal).slug}`, 303)
      );
    });

    scope.post(`${BASE}/sign-out`, { config: { rateLimit: false } }, async (request, reply) => {
      const s = await signedIn(request);
      if (!s) return toSignIn(reply);
      if (!sameOrigin(request) || !csrfMatches(s.session, (request.body as Record<string, unknown> | undefined)?.csrf))
        return reply.code(403).type('text/plain; charset=utf-8').send('sign-out refused: not sent from this dashboard');
      await sessions.destroy(s.id);
      return toSignIn(reply);
    });

    // Pages: the session's principal is set before the server's own hooks run, and `roles` (every
    // role: the page checks its own, with a message) makes the server audit-log each view like a /v1
    // request (token id, role, route, parameters, status).
    const sessionOf = new WeakMap<FastifyRequest, Session>();
    for (const page of PAGES) {
      scope.get(
        `${BASE}/${page.slug}`,
        {
          config: { rateLimit: false, roles: ROLES },
          onRequest: async (request, reply) => {
            const s = await signedIn(request);
            if (!s) return toSignIn(reply);
            request.principal = s.principal;
            sessionOf.set(request, s.session);
          },
        },
        async (request, reply) =>
          servePage(
            request,
            reply,
            page,
            { principal: request.principal!, session: sessionOf.get(request)!, budget },
            d,
          ),
      );
    }
  });
}

/**
 * What a table's CSV download says beside its rows, as the API's CSV answers do (`Edusage-Meta`): the
 * page and table, the period, and whether the page's answers were read as of the compactions, with the
 * ones they went by and the months read in full (the whole page's: a table is built from several).
 */
function downloadMeta(
  page: string,
  table: string,
  period: { from: string; to: string } | undefined,
  compacted: readonly FreshnessMeta[],
): Record<string, unknown> {
  return {
    page,
    table,
    // As read, not as asked: a page whose endpoints take no freshness (Data health) read live.
    ...(period === undefined
      ? {}
      : { from: period.from, to: period.to, freshness: compacted.length > 0 ? 'compacted' : 'live' }),
    ...(compacted.length === 0 ? {} : pageCompactions(compacted)),
  };
}

/**
 * The names a page shows for ids (none for the research role, whose pages show no school, class or app
 * of the district). Names are a convenience: when they cannot be read the page shows ids and says so
 * in the log.
 */
async function pageLabels(request: FastifyRequest, deps: ApiDeps, principal: Principal): Promise<Labels> {
  if (principal.role === 'researcher') return labelsOf();
  try {
    return labelsOf(visibleNames(await deps.names(principal.district_id), principal));
  } catch (err) {
    request.log.warn({ err: String(err) }, 'dashboard: names could not be read; showing ids');
    return labelsOf();
  }
}

async function servePage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: PageDefinition,
  viewer: { principal: Principal; session: Session; budget: (tokenId: string) => Promise<PageBudgetAnswer> },
  d: DashboardDeps,
) {
  const { principal, session } = viewer;
  const deps = d.deps;
  const started = process.hrtime.bigint();
  const { query, issues } = pageQuery(request.query);
  const frame: Frame = {
    principal,
    pages: PAGES,
    current: page.slug,
    csrf: session.csrf,
    query,
    defaultFreshness: deps.defaultFreshness,
  };
  const send = (status: number, body: string) =>
    reply
      .code(status)
      .header('server-timing', `app;dur=${Number(process.hrtime.bigint() - started) / 1e6}`)
      .type('text/html; charset=utf-8')
      .send(body);
  if (!page.roles.includes(principal.role))
    return send(
      403,
      renderMessage(frame, 'Not available for your role', [
        `Your role (${principal.role}) does not include the ${page.nav} page.`,
      ]),
    );
  if (issues.length > 0)
    return send(400, renderMessage(frame, 'The address has parameters this page does not take', issues));
  const allowed = await viewer.budget(principal.token_id).catch((err: unknown) => {
    request.log.warn({ err: String(err) }, 'dashboard page budget: Redis did not answer');
    return null;
  });
  if (allowed === null) {
    // Fails closed, as the API's own rate limit does, but as a page of the dashboard.
    reply.header('retry-after', '5');
    return send(
      503,
      renderMessage(frame, 'The page cannot be shown right now', [
        'A service the dashboard needs (Redis) did not answer; try again in a few seconds.',
      ]),
    );
  }
  if (!allowed.allowed) {
    d.metrics.rateLimited.inc({ kind: 'dashboard_page' });
    reply.header('retry-after', String(allowed.retryAfterSeconds));
    return send(
      429,
      renderMessage(frame, 'Too many pages in a short time', [
        `Pages opened with this token passed ${d.pageLimit} in ${d.windowMs / 1000} s (API_DASHBOARD_PAGE_LIMIT); ` +
          `the next page can be shown in ${allowed.retryAfterSeconds} s.`,
      ]),
    );
  }
  const labels = await pageLabels(request, deps, principal);
  // A school token's header names its school.
  if (principal.role === 'school') frame.schoolName = labels.school(principal.school_id);
  try {
    const { result: content, compacted } = await compactedReads(() =>
      page.build({
        deps,
        principal,
        query,
        today: deps.today(principal.district_id),
        utcToday: deps.now().toISOString().slice(0, 10),
        labels,
      }),
    );
    if (query.download !== undefined) {
      const t = content.blocks.find((b): b is Table => !(b instanceof Html) && b.id === query.download);
      if (!t)
        return send(
          404,
          renderMessage(frame, 'No such table', [`download: this page has no table "${query.download}"`]),
        );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${page.slug}-${t.id}.csv"`)
        .header(META_HEADER, metaHeaderValue(downloadMeta(page.slug, t.id, content.period, compacted)))
        .send(tableCsv(t));
    }
    return send(200, renderPage(frame, content, compacted));
  } catch (err) {
    if (err instanceof PageError)
      return send(err.status, renderMessage(frame, 'This page cannot be shown as asked', err.messages));
    request.log.error({ err }, 'dashboard page failed');
    return send(
      500,
      renderMessage(frame, 'The page failed', ['Something went wrong on the server; the error is in its log.']),
    );
  }
}
