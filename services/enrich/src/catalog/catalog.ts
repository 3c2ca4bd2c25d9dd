import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { AppRef } from '@edusage/contracts';
import { BoundedMap } from '@edusage/runtime';

const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'must be a domain name');

export const appEntrySchema = z
  .object({
    app_id: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
    name: z.string().trim().min(1).max(256),
    /** Each domain and every host under it. */
    domains: z.array(domainName).default([]),
    /**
     * Each domain itself only (a leading `www.` of the host is removed before matching): for a parent
     * domain whose other hosts are background or shared services (accounts.google.com, ecs.office.com).
     * Optional, so entries stored before it read the same.
     */
    exact_domains: z
      .array(
        domainName.refine(
          (d) => !d.startsWith('www.'),
          'must be written without www. (a leading www. is removed from every host before matching)',
        ),
      )
      .optional(),
    category: z.string().trim().min(1).max(64).default('other'),
  })
  .superRefine((app, ctx) => {
    const suffixes = new Set(app.domains);
    app.exact_domains?.forEach((d, i) => {
      if (suffixes.has(d))
        ctx.addIssue({
          code: 'custom',
          path: ['exact_domains', i],
          message: `${d} is also in domains; list it in one of the two`,
        });
    });
  });
export type AppEntry = z.infer<typeof appEntrySchema>;

/** A catalog file: `{ "apps": [...] }` or a bare array of apps. */
export const catalogFileSchema = z.object({ apps: z.array(appEntrySchema) }).loose();

/** The catalog shipped with edusage (services/enrich/data/app-catalog.json). */
export const SHIPPED_CATALOG_PATH = path.resolve(__dirname, '../../data/app-catalog.json');

export function parseCatalogJson(text: string, name = 'catalog'): AppEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`${name}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = catalogFileSchema.safeParse(Array.isArray(json) ? { apps: json } : json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${name}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data.apps;
}

let shipped: AppEntry[] | null = null;
export function loadShippedCatalog(): AppEntry[] {
  shipped ??= parseCatalogJson(readFileSync(SHIPPED_CATALOG_PATH, 'utf8'), 'app-catalog.json');
  return shipped;
}

function domainsOf(app: AppEntry): string[] {
  return [...app.domains, ...(app.exact_domains ?? [])];
}

/** How an event's app was resolved. */
export interface AppResolution {
  app_id: string;
  app_resolved: boolean;
  /** The event's host (from `domain`, else from `url`), lower-case, without `www.`; null if none. */
  app_domain: string | null;
}

const SCHEME_HOST = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;
const HOST_CHARS = /^[a-z0-9.-]+$/;
/** Characters of a path, query, fragment, address or escape: an app id holding one is not kept as sent. */
const UNSAFE_ID = /[/?#@=&%\\]/;

/** Host of a domain or URL ("https://www.KhanAcademy.org:443/x" → "khanacademy.org"); null if none. */
export function hostOf(domainOrUrl: string | undefined): string | null {
  if (!domainOrUrl) return null;
  let s = domainOrUrl.trim();
  const m = SCHEME_HOST.exec(s);
  if (m) s = m[1] ?? '';
  else s = s.split(/[/?#]/, 1)[0] ?? '';
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) return null; // IPv6 literal: not a domain
  const colon = s.indexOf(':');
  if (colon >= 0) s = s.slice(0, colon);
  s = s.toLowerCase();
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.startsWith('www.') && s.length > 4) s = s.slice(4);
  if (s === '' || !HOST_CHARS.test(s) || !s.includes('.')) return null;
  return s;
}

/**
 * App lookup by id, domain or URL. A domain belongs to one app; a host resolves to the app of its
 * longest matching domain suffix (docs.google.com → google-docs; es.khanacademy.org → khan-academy),
 * where an `exact_domains` entry matches only the host itself (google.com → google-search, but
 * accounts.google.com stays unresolved). District entries override shipped ones (same app_id
 * replaces the entry; a domain claimed by a district app moves to it).
 */
export class AppCatalog {
  private readonly byId = new Map<string, AppEntry>();
  /** Domain → its app, and whether the domain matches itself only (`exact_domains`). */
  private readonly byDomain = new Map<string, { appId: string; exact: boolean }>();
  private readonly hostCache = new BoundedMap<string, string | null>(50_000);

  constructor(base: AppEntry[], overrides: AppEntry[] = []) {
    for (const list of [base, overrides]) {
      for (const app of list) {
        const previous = this.byId.get(app.app_id);
        if (previous)
          for (const d of domainsOf(previous)) if (this.byDomain.get(d)?.appId === app.app_id) this.byDomain.delete(d);
        this.byId.set(app.app_id, app);
        // A domain belongs to one app, exact or not: the later entry takes it over.
        for (const d of app.domains) this.byDomain.set(d, { appId: app.app_id, exact: false });
        for (const d of app.exact_domains ?? []) this.byDomain.set(d, { appId: app.app_id, exact: true });
      }
    }
  }

  get size(): number {
    return this.byId.size;
  }

  get(appId: string): AppEntry | undefined {
    return this.byId.get(appId);
  }

  apps(): AppEntry[] {
    return [...this.byId.values()];
  }

  /** The app whose domain is the longest suffix of `host` (label-wise; an exact domain only as `host` itself), or null. */
  appForHost(host: string): string | null {
    const cached = this.hostCache.get(host);
    if (cached !== undefined) return cached;
    let found: string | null = null;
    let h = host;
    for (;;) {
      const hit = this.byDomain.get(h);
      // An exact domain matches the host itself (or www. + it), never another host under it.
      if (hit !== undefined && (!hit.exact || h === host || `www.${h}` === host)) {
        found = hit.appId;
        break;
      }
      const dot = h.indexOf('.');
      if (dot < 0) break;
      h = h.slice(dot + 1);
      if (!h.includes('.')) break; // never match a bare TLD
    }
    return this.hostCache.set(host, found);
  }

  resolve(ref: Pick<AppRef, 'app_id' | 'domain' | 'url'>): AppResolution {
    const host = hostOf(ref.domain) ?? hostOf(ref.url);
    const givenId = ref.app_id?.trim().toLowerCase();
    if (givenId) {
      if (this.byId.has(givenId)) return { app_id: givenId, app_resolved: true, app_domain: host };
      // Some sources put a domain where the id goes.
      const idHost = givenId.includes('.') ? hostOf(givenId) : null;
      const viaId = idHost ? this.appForHost(idHost) : null;
      if (viaId)
        return {
          app_id: viaId,
          app_resolved: true,
          app_domain: host ?? idHost,
        };
    }
    if (host) {
      const app = this.appForHost(host);
      if (app) return { app_id: app, app_resolved: true, app_domain: host };
      return {
        app_id: `domain:${host}`,
        app_resolved: false,
        app_domain: host,
      };
    }
    // An app id that is not (yet) in the catalog is kept as given, flagged unresolved, unless it could
    // carry a path, a query or an address (a sender's URL or email in the id field names a student):
    // then only its host is kept, as for a URL, else nothing.
    if (givenId && UNSAFE_ID.test(givenId)) {
      const idHost = hostOf(givenId);
      return idHost
        ? { app_id: `domain:${idHost}`, app_resolved: false, app_domain: idHost }
        : { app_id: 'unknown', app_resolved: false, app_domain: null };
    }
    return {
      app_id: givenId || 'unknown',
      app_resolved: false,
      app_domain: null,
    };
  }
}
