import type { z } from 'zod';
import type { ClickHouseClient } from '@edusage/clickhouse';
import type { JsonRows } from '@edusage/reports';
import type { Freshness } from './freshness';
import type { NamesReader } from './names';
import type { Principal, Role, TokenStore } from './tokens';

/** What handlers use: clients and the clock. */
export interface ApiDeps {
  ch: ClickHouseClient;
  /** Bound to the research database (the only client the research endpoints use). */
  research: ClickHouseClient;
  tokens: TokenStore;
  /** What a report reads when its request names no `freshness` (API_DEFAULT_FRESHNESS). */
  defaultFreshness: Freshness;
  /** What the district's school, class and app ids are called (cached per district). */
  names: NamesReader;
  /** Consumer-group lag of the pipeline's Kafka groups (deployment-wide). */
  pipelineLag(): Promise<{ group: string; topics: string[]; lag: number }[]>;
  now(): Date;
  /** The district-local day of now() (DISTRICT_TIMEZONES / DEFAULT_TIMEZONE): a report's default "today". */
  today(districtId: string): string;
}

/** A list answer: rows (also served as CSV) and what they cover. */
export interface ListResult<Row> {
  kind: 'list';
  meta: Record<string, unknown>;
  /** Objects, or their JSON text as ClickHouse wrote it (sent as it is; parsed only for CSV). */
  rows: Row[] | JsonRows<Row>;
  /**
   * CSV records when they differ from the JSON rows: a CLI's own CSV records (licenses, outcomes), so the
   * API's CSV is the CLI's (booleans then cast as csv-stringify does for the CLI: true → 1, false → '').
   */
  csv?: CsvRecords;
}

/** CSV records and their columns (given, so that an answer without records still has its header). */
export interface CsvRecords {
  columns: readonly string[];
  records: Record<string, string | number | boolean>[];
}
/** A list's rows as objects (a JsonRows text parsed: for CSV and the dashboard). */
export function rowObjects<Row>(rows: Row[] | JsonRows<Row>): Row[] {
  return Array.isArray(rows) ? rows : (JSON.parse(rows.json) as Row[]);
}

/** A single object (not a list: no CSV). */
export interface ObjectResult {
  kind: 'object';
  status?: number;
  body: Record<string, unknown>;
}
export type EndpointResult<Row> = ListResult<Row> | ObjectResult;

type AnyObject = z.ZodObject;

export interface EndpointDefinition<Q extends AnyObject, P extends AnyObject, B extends AnyObject, Row> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path, e.g. /v1/tokens/:id. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /**
   * Roles that may call it. A `school` token's calls are confined to its school by the handler (the
   * endpoint takes the school from the principal and refuses another `school` parameter).
   */
  roles: readonly Role[];
  /** Strict objects: an unknown parameter is a 400. */
  query: Q;
  params?: P;
  body?: B;
  /** Schema of one row of a list answer (lists are also CSV), or of the object answer. */
  response: z.ZodType<Row>;
  list: boolean;
  handle(input: {
    principal: Principal;
    query: z.infer<Q>;
    params: z.infer<P>;
    body: z.infer<B>;
    deps: ApiDeps;
  }): Promise<EndpointResult<Row>>;
}

/** An endpoint with its types erased, as the server and the OpenAPI document see it. */
export interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  summary: string;
  description?: string;
  tag: string;
  roles: readonly Role[];
  query: AnyObject;
  params?: AnyObject;
  body?: AnyObject;
  response: z.ZodType;
  list: boolean;
  handle(input: {
    principal: Principal;
    query: unknown;
    params: unknown;
    body: unknown;
    deps: ApiDeps;
  }): Promise<EndpointResult<unknown>>;
}

export function defineEndpoint<Q extends AnyObject, P extends AnyObject, B extends AnyObject, Row>(
  def: EndpointDefinition<Q, P, B, Row>,
): Endpoint {
  return def as unknown as Endpoint;
}

/** A request the endpoint refuses after authorization (e.g. a school token naming another school). */
export class Forbidden extends Error {}
/** A named thing that does not exist for this caller (answered 404 without saying whether it exists elsewhere). */
export class NotFound extends Error {}
