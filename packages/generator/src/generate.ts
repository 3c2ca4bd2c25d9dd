import { UNRESOLVED_SITES } from './catalog';
import { dayInfos, generateRecords } from './events';
import { resolveOptions } from './options';
import { buildModel } from './roster';
import type { GenerateOptions, SampleDistrict, TruthEvent } from './types';

/**
 * A deterministic sample district: the same (seed, options) give the same roster, catalog and
 * event lines, byte for byte. Roster and catalog are built now (small); events are generated
 * lazily by `records()` / `events()`, a day at a time.
 */
export function generateDistrict(opts: GenerateOptions): SampleDistrict {
  const options = resolveOptions(opts);
  const model = buildModel(options);
  const days = dayInfos(model);
  return {
    options,
    district: {
      id: options.districtId,
      name: options.districtName,
      domain: options.domain,
      timezone: options.timezone,
    },
    roster: model.roster,
    courseApps: model.courseApps,
    networks: model.networks,
    apps: model.apps,
    unresolvedDomains: UNRESOLVED_SITES.map((s) => s.host),
    unknownPeople: model.unknown.map((u) => ({ key: u.key, user: { ...u.user } })),
    licenses: model.licenses,
    approvals: model.approvals,
    days,
    records: () => generateRecords(model, days),
    events: function* (): IterableIterator<TruthEvent> {
      for (const r of generateRecords(model, days)) yield* r.events;
    },
  };
}
