import { NO_NAMES, type DistrictNames } from '@edusage/enrich';
import { html, type Html } from './html';
import type { Column } from './table';

/** What a page calls the district's ids: names where the roster or the app catalog has them, else the id. */
export interface Labels {
  school(id: string): string;
  klass(id: string): string;
  app(id: string): string;
}

export function labelsOf(names: DistrictNames = NO_NAMES): Labels {
  return {
    school: (id) => (id === '' ? '(no school)' : (names.schools.get(id) ?? id)),
    klass: (id) => (id === '' ? '(no class)' : (names.classes.get(id)?.title ?? id)),
    app: (id) => names.apps.get(id) ?? id,
  };
}

/**
 * A table's id column shown by name: the page shows the name (the id as its tooltip, or linked), the
 * CSV keeps the id under `key` and adds the name as `nameKey` (default `<key without _id>_name`), a
 * CSV-only column.
 */
export function namedIdColumns<Row>(o: {
  key: string;
  nameKey?: string;
  label: string;
  id(row: Row): string;
  /** The id's name (the row, for names that depend on more than the id). */
  name(id: string, row: Row): string;
  href?(row: Row): string | null;
}): Column<Row>[] {
  const shown = (row: Row): Html => {
    const id = o.id(row);
    const name = o.name(id, row);
    const href = o.href?.(row) ?? null;
    const title = name === id ? '' : id;
    return href === null
      ? html`<span title="${title}">${name}</span>`
      : html`<a href="${href}" title="${title}">${name}</a>`;
  };
  return [
    { key: o.key, label: o.label, value: o.id, show: shown },
    {
      key: o.nameKey ?? `${o.key.replace(/_id$/, '')}_name`,
      label: `${o.label} name`,
      value: (r) => o.name(o.id(r), r),
      csvOnly: true,
    },
  ];
}
