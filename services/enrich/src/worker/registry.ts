import type { Redis } from 'ioredis';
import type { DeadLetter } from '@edusage/contracts';
import type { Logger } from '@edusage/logging';
import type { HealthCheck } from '@edusage/runtime';
import { AppCatalog, loadShippedCatalog, type AppEntry } from '../catalog/catalog';
import { loadDistrictCatalog } from '../catalog/store';
import type { DistrictView } from '../enrich/enrich';
import { RosterIndex } from '../roster/roster-index';
import { loadRosterFromRedis } from '../roster/store';
import { currentVersions, districtsWith, VersionMissingError, type DatasetKind } from '../store/versioned';
import { erasedSizes, loadErased } from '../erase/erased-list';

export interface RegistryOptions {
  redis: Redis;
  prefix: string;
  pseudonymKey: string;
  timeZoneFor: (districtId: string) => string;
  logger: Logger;
}

/** A district's roster or catalog that the last reload could not read. */
interface Unreadable {
  kind: DatasetKind;
  district: string;
  /** The version `current` names. */
  version: string | null;
  /** What is wrong and what to do; no input data (served by /readyz and put in dead letters). */
  problem: string;
  /** The version still in memory and used; null: the district's events are dead-lettered. */
  kept: string | null;
  since: string;
}

const KINDS: readonly DatasetKind[] = ['roster', 'catalog'];

/**
 * In-memory rosters and catalogs of every district, loaded from Redis and reloaded when a district's
 * `roster:<d>:current` or `catalog:<d>:current` changes (checked by `refresh`, which the worker calls
 * every few seconds: two SMEMBERS and two MGETs). Event enrichment only reads memory.
 *
 * A district whose roster or catalog cannot be read keeps the one it has in memory; one with none in
 * memory is `unavailable`: its events are dead-lettered (replayable), since enriching them as if it
 * had no roster or catalog would attribute them wrongly. Either way `health` is not ok until it can
 * be read again (retried at every reload); the other districts and the erased sets are unaffected.
 */
export class DistrictRegistry {
  private readonly views = new Map<string, DistrictView>();
  private readonly rosters = new Map<string, RosterIndex>();
  private readonly catalogs = new Map<string, { version: string; catalog: AppCatalog }>();
  private readonly erased = new Map<string, ReadonlySet<string>>();
  /** By `<kind>:<district>`. */
  private readonly unreadable = new Map<string, Unreadable>();
  private readonly shipped: AppEntry[] = loadShippedCatalog();
  private readonly shippedCatalog = new AppCatalog(this.shipped);
  private refreshing: Promise<void> | null = null;

  /** For /readyz: not ok while a district's roster or catalog cannot be read (an operator must import it). */
  readonly health: HealthCheck = {
    id: 'rosters',
    check: () => ({
      ok: this.unreadable.size === 0,
      detail: {
        unreadable: [...this.unreadable.values()].map((u) => ({
          kind: u.kind,
          district: u.district,
          version: u.version,
          since: u.since,
          problem: u.problem,
          events: u.kept ? `enriched with the loaded version ${u.kept}` : `dead-lettered (${u.kind}_unavailable)`,
        })),
      },
    }),
  };

  constructor(private readonly opts: RegistryOptions) {}

  /** The view of a district; one without roster (everyone unresolved) if none was imported. */
  view(districtId: string): DistrictView {
    let v = this.views.get(districtId);
    if (!v) {
      v = {
        districtId,
        timeZone: this.opts.timeZoneFor(districtId),
        roster: this.rosters.get(districtId) ?? null,
        catalog: this.catalogs.get(districtId)?.catalog ?? this.shippedCatalog,
        erased: this.erased.get(districtId) ?? NONE_ERASED,
      };
      this.views.set(districtId, v);
    }
    return v;
  }

  /**
   * Why the district's events cannot be enriched now (its roster or catalog cannot be read and none
   * is in memory), as a dead letter's reason; null when they can.
   */
  unavailable(districtId: string): DeadLetter['reason'] | null {
    if (this.unreadable.size === 0) return null; // the per-event path: one size check
    for (const kind of KINDS) {
      const u = this.unreadable.get(`${kind}:${districtId}`);
      if (u && u.kept === null) {
        return {
          code: `${kind}_unavailable`,
          message: `${u.problem}; not enriched without it: replay this letter once it can be read again`,
        };
      }
    }
    return null;
  }

  rosterVersion(districtId: string): string | null {
    return this.rosters.get(districtId)?.version ?? null;
  }

  /** Loads new or changed rosters and catalogs. Concurrent calls share one run. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /**
   * Rosters, catalogs, erased sets: each step runs whatever the one before did (a district that
   * cannot be read is recorded, not thrown). Throws afterwards if a step failed as a whole (Redis).
   */
  private async doRefresh(): Promise<void> {
    const failed: unknown[] = [];
    const step = (run: () => Promise<void>) => run().catch((err: unknown) => void failed.push(err));
    await step(() => this.refreshKind('roster', this.rosters, (d) => this.loadRoster(d)));
    await step(() => this.refreshKind('catalog', this.catalogs, (d) => this.loadCatalog(d)));
    await step(() => this.refreshErased());
    if (failed.length > 0) throw failed[0];
  }

  /** Reloads each district of `kind` whose `current` moved; one that fails keeps what `loaded` has. */
  private async refreshKind<T extends { version: string }>(
    kind: DatasetKind,
    loaded: Map<string, T>,
    load: (district: string) => Promise<T | null>,
  ): Promise<void> {
    const { redis, prefix } = this.opts;
    const districts = [...new Set([...(await districtsWith(redis, prefix, kind)), ...loaded.keys()])];
    // One no longer listed (its keys were removed) has nothing left to read.
    for (const u of [...this.unreadable.values()]) {
      if (u.kind === kind && !districts.includes(u.district)) this.markReadable(kind, u.district);
    }
    for (const [district, version] of await currentVersions(redis, prefix, kind, districts)) {
      if (version === (loaded.get(district)?.version ?? null)) {
        this.markReadable(kind, district);
        continue;
      }
      try {
        const next = await load(district);
        if (next) loaded.set(district, next);
        else loaded.delete(district);
        this.markReadable(kind, district);
      } catch (err) {
        this.markUnreadable(kind, district, version, err, loaded.get(district)?.version ?? null);
      }
      this.views.delete(district);
    }
  }

  private async loadRoster(district: string): Promise<RosterIndex | null> {
    const { redis, prefix, pseudonymKey, logger } = this.opts;
    const started = Date.now();
    const loaded = await loadRosterFromRedis(redis, prefix, district);
    if (!loaded) return null;
    const index = new RosterIndex(district, loaded.version, loaded.data, pseudonymKey);
    logger.info(
      { district, version: loaded.version, users: loaded.data.users.size, ms: Date.now() - started },
      'roster loaded',
    );
    return index;
  }

  private async loadCatalog(district: string): Promise<{ version: string; catalog: AppCatalog } | null> {
    const { redis, prefix, logger } = this.opts;
    const loaded = await loadDistrictCatalog(redis, prefix, district);
    if (!loaded) return null;
    logger.info({ district, version: loaded.version, apps: loaded.apps.length }, 'district catalog loaded');
    return { version: loaded.version, catalog: new AppCatalog(this.shipped, loaded.apps) };
  }

  /** Records (and logs once per change) a district whose `kind` cannot be read. */
  private markUnreadable(
    kind: DatasetKind,
    district: string,
    version: string | null,
    err: unknown,
    kept: string | null,
  ): void {
    const problem =
      err instanceof VersionMissingError
        ? err.message
        : `${kind} of district ${district} could not be read from Redis (the enrich log says why); retried at every reload`;
    const key = `${kind}:${district}`;
    const before = this.unreadable.get(key);
    this.unreadable.set(key, {
      kind,
      district,
      version,
      problem,
      kept,
      since: before?.since ?? new Date().toISOString(),
    });
    if (before && before.problem === problem && before.version === version && before.kept === kept) return;
    const effect = kept
      ? `keeping the loaded version ${kept}`
      : `its events are dead-lettered (${kind}_unavailable) until it can be read; then replay them: ` +
        `dlq replay --stage enrich --reason ${kind}_unavailable --district ${district}`;
    this.opts.logger.warn({ district, kind, version, err }, `${problem}; ${effect}`);
  }

  private markReadable(kind: DatasetKind, district: string): void {
    if (this.unreadable.delete(`${kind}:${district}`)) {
      this.views.delete(district);
      this.opts.logger.info({ district, kind }, `${kind} of district ${district} can be read again`);
    }
  }

  /**
   * Erased people's pseudonyms: a set is read again when its size moved (the sets only grow). A set
   * that cannot be read keeps the loaded one; the others are read all the same, then it throws (at
   * start, enrich must not run without them).
   */
  private async refreshErased(): Promise<void> {
    const { redis, prefix, logger } = this.opts;
    let failed: unknown = null;
    for (const [district, size] of await erasedSizes(redis, prefix, this.erased.keys())) {
      if (size === (this.erased.get(district)?.size ?? 0)) continue;
      try {
        const ids = await loadErased(redis, prefix, district);
        this.erased.set(district, ids);
        this.views.delete(district);
        logger.info({ district, people: ids.size }, 'erased people loaded');
      } catch (err) {
        failed ??= err;
        logger.warn({ district, err }, 'erased people of the district could not be read; keeping the loaded ones');
      }
    }
    if (failed !== null) throw failed;
  }
}

const NONE_ERASED: ReadonlySet<string> = new Set();
