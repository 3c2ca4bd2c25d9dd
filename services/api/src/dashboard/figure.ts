import { html, type Html } from './html';
import type { Table } from './table';

/** A figure of a page: a heading, the charts of some data and the table of the same data. */
export interface FigureSection {
  /** An `<h2>` of this text, or a heading already built (an id, another level, links or a note beneath it). */
  heading?: string | Html;
  /** The data drawn (none when there is nothing to draw: the table says so). */
  charts?: Html[];
  /** The data as numbers; the page shows it with its CSV download. */
  table: Table;
}

/** A figure's blocks in the order every page shows them: heading, charts, table (a note on reading them follows). */
export function figureSection(f: FigureSection): (Html | Table)[] {
  const heading = typeof f.heading === 'string' ? html`<h2>${f.heading}</h2>` : f.heading;
  return [...(heading ? [heading] : []), ...(f.charts ?? []), f.table];
}
