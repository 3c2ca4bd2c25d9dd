import { Forbidden } from '../endpoint';
import type { Principal } from '../tokens';

/**
 * The school a query is confined to: a `school` token's own school whatever is asked (naming another
 * school is refused, never answered empty, so the caller cannot probe); other roles get what they ask.
 */
export function schoolScope(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.role !== 'school') return requested;
  if (requested !== undefined && requested !== principal.school_id)
    throw new Forbidden('a school token sees only its own school');
  return principal.school_id;
}

/** Drops undefined values, so filters pass only what was asked (exactOptionalPropertyTypes). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
