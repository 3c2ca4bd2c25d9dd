import type { Redis } from 'ioredis';
import type { Logger } from '@edusage/logging';
import { AppCatalog, loadShippedCatalog, type AppEntry } from '../catalog/catalog';
import { loadDistrictCatalog } from '../catalog/store';
import type { DistrictView } from '../enrich/enrich';
import { RosterIndex } from '../roster/roster-index';
import { loadRosterFromRedis } from '../roster/store';
import { currentVersions, districtsWith } from '../store/versioned';
import { erasedSizes, loadErased } from '../erase/erased-list';

export interface RegistryOptions {
  redis: Redis;
  prefix: string;
  pseudonymKey: string;
  timeZoneFor: (districtId: string) => string;
  logger: Logger;
}

/**
 * In-memory rosters and catalogs of every district, loaded from Redis and reloaded when a district's
 * `roster:<d>:current` or `catalog:<d>:current` changes (checked by `refresh`, which the worker calls
 * every few seconds: two SMEMBERS and two MGETs). Event enrichment only reads memory.
 */
export class DistrictRegistry {
  private readonly views = new Map<string, DistrictView>();
  private readonly rosters = new Map<string, RosterIndex>();
  private readonly catalogs = new Map<string, { version: string; catalog: AppCatalog }>();
  private readonly erased = new Map<string, ReadonlySet<string>>();
  private readonly shipped: AppEntry[] = loadShippedCatalog();
  private readonly shippedCatalog = new AppCatalog(this.shipped);
  private refreshing: Promise<void> | null = null;

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

  private async doRefresh(): Promise<void> {
    const { redis, prefix, pseudonymKey, logger } = this.opts;
    const rosterDistricts = [...new Set([...(await districtsWith(redis, prefix, 'roster')), ...this.rosters.keys()])];
    for (const [district, version] of await currentVersions(redis, prefix, 'roster', rosterDistricts)) {
      const have = this.rosters.get(district);
      if (version === (have?.version ?? null)) continue;
      const started = Date.now();
      const loaded = await loadRosterFromRedis(redis, prefix, district);
      if (!loaded) {
        this.rosters.delete(district);
      } else {
        this.rosters.set(district, new RosterIndex(district, loaded.version, loaded.data, pseudonymKey));
        logger.info(
          {
            district,
            version: loaded.version,
            users: loaded.data.users.size,
            ms: Date.now() - started,
          },
          'roster loaded',
        );
      }
      this.views.delete(district);
    }
    const catalogDistricts = [
      ...new Set([...(await districtsWith(redis, prefix, 'catalog')), ...this.catalogs.keys()]),
    ];
    for (const [district, version] of await currentVersions(redis, prefix, 'catalog', catalogDistricts)) {
      const have = this.catalogs.get(district);
      if (version === (have?.version ?? null)) continue;
      const loaded = await loadDistrictCatalog(redis, prefix, district);
      if (!loaded) this.catalogs.delete(district);
      else {
        this.catalogs.set(district, {
          version: loaded.version,
          catalog: new AppCatalog(this.shipped, loaded.apps),
        });
        logger.info({ district, version: loaded.version, apps: loaded.apps.length }, 'district catalog loaded');
      }
      this.views.delete(district);
    }
    await this.refreshErased();
  }

  /** Erased people's pseudonyms: a set is read again when its size moved (the sets only grow). */
  private async refreshErased(): Promise<void> {
    const { redis, prefix, logger } = this.opts;
    for (const [district, size] of await erasedSizes(redis, prefix, this.erased.keys())) {
      if (size === (this.erased.get(district)?.size ?? 0)) continue;
      const ids = await loadErased(redis, prefix, district);
      this.erased.set(district, ids);
      this.views.delete(district);
      logger.info({ district, people: ids.size }, 'erased people loaded');
    }
  }
}

const NONE_ERASED: ReadonlySet<string> = new Set();
