import { AsyncLocalStorage } from 'node:async_hooks';
import type { ApiDeps, Endpoint } from '../endpoint';
import { freshnessMeta, oneCutOfCompactions, type FreshnessMeta } from '../freshness';
import { Forbidden, NotFound, rowObjects } from '../endpoint';
import { ENDPOINTS } from '../endpoints';
import type { Principal } from '../tokens';

/**
 * The dashboard's numbers come from the API's own endpoints: the same zod validation, role check and
 * handler as `GET <path>` with the same token, so a page shows what the API answers for that query.
 */
export type Answer =
  | {
      ok: true;
      rows: Record<string, unknown>[];
      meta: Record<string, unknown>;
      body: Record<string, unknown>;
      /** The list's CSV columns when it names its own (a research table's columns: known with no row). */
      csvColumns?: readonly string[];
    }
  | { ok: false; status: 400 | 403 | 404; messages: string[] };

/**
 * The freshness of each answer read as of the compactions during one page build (`compactedReads`),
 * so the page can say which compactions its figures went by: read from the answers, never again.
 */
const compactedAnswers = new AsyncLocalStorage<FreshnessMeta[]>();

/**
 * Runs a page build, with the freshness of every answer it got as of the compactions; those answers
 * all go by one read of the compactions (`oneCutOfCompactions`).
 */
export async function compactedReads<T>(build: () => Promise<T>): Promise<{ result: T; compacted: FreshnessMeta[] }> {
  const compacted: FreshnessMeta[] = [];
  const result = await oneCutOfCompactions(() => compactedAnswers.run(compacted, build));
  return { result, compacted };
}

/**
 * The compactions one page's answers went by, each once (by month, then time; answers read under
 * different states, e.g. outside `oneCutOfCompactions`, keep the later `checked_at`), and the months
 * read in full.
 */
export function pageCompactions(answers: readonly FreshnessMeta[]): Required<Omit<FreshnessMeta, 'freshness'>> {
  const byKey = new Map<string, NonNullable<FreshnessMeta['compactions']>[number]>();
  for (const a of answers)
    for (const c of a.compactions ?? []) {
      const key = `${c.month}|${c.compacted_at}`;
      const seen = byKey.get(key);
      if (seen === undefined || c.checked_at > seen.checked_at) byKey.set(key, c);
    }
  const compactions = [...byKey.values()].sort(
    (a, b) => a.month - b.month || a.compacted_at.localeCompare(b.compacted_at),
  );
  const months = [...new Set(answers.flatMap((a) => a.months_not_compacted ?? []))].sort((a, b) => a - b);
  return { compactions, months_not_compacted: months };
}

const byPath = new Map(ENDPOINTS.filter((e) => e.method === 'GET').map((e) => [e.path, e]));

export function mayCall(principal: Principal, path: string): boolean {
  return byPath.get(path)?.roles.includes(principal.role) ?? false;
}

export async function callEndpoint(
  deps: ApiDeps,
  principal: Principal,
  path: string,
  query: Record<string, string | undefined>,
  params: Record<string, string> = {},
): Promise<Answer> {
  const e: Endpoint | undefined = byPath.get(path);
  if (!e) throw new Error(`no endpoint ${path}`);
  if (!e.roles.includes(principal.role))
    return { ok: false, status: 403, messages: [`your role (${principal.role}) may not see this`] };
  // A page's freshness goes to the endpoints that offer it; the others read what they always read.
  const given = Object.fromEntries(
    Object.entries(query).filter(([k, v]) => v !== undefined && (k !== 'freshness' || k in e.query.shape)),
  );
  const parsed = e.query.safeParse(given);
  // Path parameters (`:table`) are checked by the endpoint's own schema, as the router does.
  const parsedParams = e.params ? e.params.safeParse(params) : null;
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues),
    ...(parsedParams && !parsedParams.success ? parsedParams.error.issues : []),
  ];
  if (!parsed.success || issues.length > 0)
    return {
      ok: false,
      status: 400,
      messages: issues.map((i) => `${i.path.map(String).join('.') || 'query'}: ${i.message}`),
    };
  try {
    const r = await e.handle({ principal, query: parsed.data, params: parsedParams?.data ?? {}, body: {}, deps });
    const fresh = freshnessMeta.safeParse(r.kind === 'object' ? r.body : r.meta);
    if (fresh.success && fresh.data.freshness === 'compacted') compactedAnswers.getStore()?.push(fresh.data);
    if (r.kind === 'object') return { ok: true, rows: [], meta: {}, body: r.body };
    return {
      ok: true,
      rows: rowObjects(r.rows) as Record<string, unknown>[],
      meta: r.meta,
      body: {},
      ...(r.csv ? { csvColumns: r.csv.columns } : {}),
    };
  } catch (err) {
    if (err instanceof Forbidden) return { ok: false, status: 403, messages: [err.message] };
    if (err instanceof NotFound) return { ok: false, status: 404, messages: [err.message] };
    throw err;
  }
}

/** A failed answer as an error the page shows (its messages name the parameter). */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly messages: string[],
  ) {
    super(messages.join('; '));
  }
}

/** The rows (or the whole answer) of a call, or a PageError. */
export async function rowsOf<Row>(
  deps: ApiDeps,
  principal: Principal,
  path: string,
  query: Record<string, string | undefined>,
  params: Record<string, string> = {},
): Promise<{
  rows: Row[];
  meta: Record<string, unknown>;
  body: Record<string, unknown>;
  csvColumns?: readonly string[];
}> {
  const a = await callEndpoint(deps, principal, path, query, params);
  if (!a.ok) throw new PageError(a.status, a.messages);
  return { rows: a.rows as Row[], meta: a.meta, body: a.body, ...(a.csvColumns ? { csvColumns: a.csvColumns } : {}) };
}
