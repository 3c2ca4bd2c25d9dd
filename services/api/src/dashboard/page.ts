import type { ApiDeps } from '../endpoint';
import type { Principal, Role } from '../tokens';
import type { Html } from './html';
import type { Labels } from './labels';
import type { Period } from './period';
import type { Table } from './table';

export interface PageContext {
  deps: ApiDeps;
  principal: Principal;
  /** The URL's query parameters (first value of each). */
  query: Record<string, string | undefined>;
  /** The district's local day of the API's clock (DISTRICT_TIMEZONES), as the API's defaults. */
  today: string;
  /** The UTC day of the API's clock: dead letters are dated in UTC days. */
  utcToday: string;
  /** The names of the district's schools, classes and apps the viewer may see (ids where none). */
  labels: Labels;
}

/** A page's content: HTML fragments and tables (each table shown with its CSV download), in order. */
export interface PageContent {
  title: string;
  /** The period form is shown (pages over a period), with its freshness. */
  period?: Period;
  /** False: the page reads nothing that takes a freshness (Data health, Research); its form offers none. */
  freshnessChoice?: false;
  blocks: (Html | Table)[];
}

export interface PageDefinition {
  slug: string;
  nav: string;
  roles: readonly Role[];
  build(ctx: PageContext): Promise<PageContent>;
}
