/**
 * Hosts that only share a parent domain with an app are not that app: Sign in with Google, Chrome's
 * update and safe-browsing hosts, Office telemetry. `exact_domains` lets a catalog entry claim a domain
 * without its sub-domains (services/enrich/README.md "App catalog").
 */
import { adaptSquidLog } from '@edusage/contracts';
import { AppCatalog, loadShippedCatalog, parseCatalogJson } from '../src';

const shipped = loadShippedCatalog();
const catalog = new AppCatalog(shipped);

describe('shipped catalog: google.com and office.com match only themselves', () => {
  it.each([
    // The search page itself (www. is removed before matching).
    ['google.com', 'google-search'],
    ['www.google.com', 'google-search'],
    // Google products with an entry of their own keep it.
    ['docs.google.com', 'google-docs'],
    ['classroom.google.com', 'google-classroom'],
    ['mail.google.com', 'gmail'],
    // Microsoft 365: the portal, its web apps, tenant SharePoint / OneDrive in the browser.
    ['office.com', 'microsoft-365'],
    ['www.office.com', 'microsoft-365'],
    ['outlook.office.com', 'microsoft-365'],
    ['outlook.office365.com', 'microsoft-365'],
    ['forms.office.com', 'microsoft-365'],
    ['www.microsoft365.com', 'microsoft-365'],
    ['contoso.sharepoint.com', 'microsoft-365'],
    ['contoso-my.sharepoint.com', 'microsoft-365'],
    ['onedrive.live.com', 'microsoft-365'],
  ])('%s → %s', (host, appId) => {
    expect(catalog.resolve({ domain: host })).toMatchObject({ app_id: appId, app_resolved: true });
  });

  it.each([
    'accounts.google.com', // Sign in with Google, on every other app
    'clients2.google.com', // Chrome extension updates
    'clients3.google.com', // connectivity check
    'clients4.google.com', // Chrome sync
    'safebrowsing.google.com',
    'play.google.com',
    'apis.google.com', // the Sign-In / platform JavaScript
    'ecs.office.com', // Office experimentation and config
    'config.office.com',
    'webshell.suite.office.com', // the suite header every M365 page loads
  ])('%s → unresolved domain: app', (host) => {
    expect(catalog.resolve({ domain: host })).toEqual({
      app_id: `domain:${host}`,
      app_resolved: false,
      app_domain: host,
    });
  });

  it('no domain is claimed twice, exact or not', () => {
    const all = shipped.flatMap((a) => [...a.domains, ...(a.exact_domains ?? [])]);
    expect(new Set(all).size).toBe(all.length);
  });

  it("the reviewer's proxy lines: background Google traffic is no Google Search", () => {
    const t = 1789725600;
    const lines = [
      `${t}.100 12 10.1.2.3 TCP_MISS/204 180 GET http://clients3.google.com/generate_204 stu1 HIER_DIRECT/142.250.1.1 -`,
      `${t + 180}.100 5000 10.1.2.3 TCP_TUNNEL/200 5400 CONNECT clients4.google.com:443 stu1 HIER_DIRECT/142.250.1.1 -`,
      `${t + 240}.100 5000 10.1.2.3 TCP_TUNNEL/200 5400 CONNECT accounts.google.com:443 stu1 HIER_DIRECT/142.250.1.1 -`,
      `${t + 780}.100 5000 10.1.2.3 TCP_TUNNEL/200 5400 CONNECT play.google.com:443 stu1 HIER_DIRECT/1.1.1.1 -`,
      `${t + 900}.100 5000 10.1.2.3 TCP_TUNNEL/200 5400 CONNECT www.google.com:443 stu1 HIER_DIRECT/1.1.1.1 -`,
    ];
    const r = adaptSquidLog(lines.join('\n'), { districtId: 'd1', now: new Date((t + 3600) * 1000) });
    expect(r.events.map((e) => catalog.resolve(e.app).app_id)).toEqual([
      'domain:clients3.google.com',
      'domain:clients4.google.com',
      'domain:accounts.google.com',
      'domain:play.google.com',
      'google-search',
    ]);
  });
});

describe('district catalogs with exact_domains', () => {
  it('are accepted and match the host only (and www.)', () => {
    const ext = parseCatalogJson(
      JSON.stringify({
        apps: [
          {
            app_id: 'district-site',
            name: 'District website',
            domains: ['calendar.d1.k12.us'],
            exact_domains: ['d1.k12.us'],
          },
        ],
      }),
      'district.json',
    );
    expect(ext[0]).toEqual({
      app_id: 'district-site',
      name: 'District website',
      domains: ['calendar.d1.k12.us'],
      exact_domains: ['d1.k12.us'],
      category: 'other',
    });
    const c = new AppCatalog(shipped, ext);
    expect(c.resolve({ domain: 'd1.k12.us' }).app_id).toBe('district-site');
    expect(c.resolve({ url: 'https://WWW.D1.k12.us/news' }).app_id).toBe('district-site');
    expect(c.resolve({ domain: 'calendar.d1.k12.us' }).app_id).toBe('district-site');
    expect(c.resolve({ domain: 'mail.d1.k12.us' })).toMatchObject({
      app_id: 'domain:mail.d1.k12.us',
      app_resolved: false,
    });
  });

  it('an entry without exact_domains is read as before', () => {
    expect(parseCatalogJson('[{"app_id":"ok","name":"x","domains":["ok.example.com"]}]')).toEqual([
      { app_id: 'ok', name: 'x', domains: ['ok.example.com'], category: 'other' },
    ]);
  });

  it('a district may take google.com back with all its sub-domains, or claim one exactly', () => {
    const all = new AppCatalog(
      shipped,
      parseCatalogJson('[{"app_id":"google-all","name":"Google","domains":["google.com"]}]'),
    );
    expect(all.resolve({ domain: 'accounts.google.com' }).app_id).toBe('google-all');
    expect(all.resolve({ domain: 'www.google.com' }).app_id).toBe('google-all');
    expect(all.resolve({ domain: 'docs.google.com' }).app_id).toBe('google-docs');
    const replaced = new AppCatalog(
      shipped,
      parseCatalogJson('[{"app_id":"google-search","name":"Search","exact_domains":["google.co.uk"]}]'),
    );
    // The replaced entry no longer claims google.com.
    expect(replaced.resolve({ domain: 'google.com' }).app_id).toBe('domain:google.com');
    expect(replaced.resolve({ domain: 'www.google.co.uk' }).app_id).toBe('google-search');
  });

  it.each([
    [
      '[{"app_id":"a","name":"A","exact_domains":["not a domain"]}]',
      /apps\.0\.exact_domains\.0: must be a domain name/,
    ],
    ['[{"app_id":"a","name":"A","exact_domains":"a.example.com"}]', /apps\.0\.exact_domains/],
    ['[{"app_id":"a","name":"A","exact_domains":["www.a.example.com"]}]', /apps\.0\.exact_domains\.0: .*without www\./],
    [
      '[{"app_id":"a","name":"A","domains":["a.example.com"],"exact_domains":["a.example.com"]}]',
      /apps\.0\.exact_domains\.0: a\.example\.com is also in domains/,
    ],
  ])('rejects %s with the field', (text, message) => {
    expect(() => parseCatalogJson(text, 'district.json')).toThrow(message);
    expect(() => parseCatalogJson(text, 'district.json')).toThrow(/^district\.json: /);
  });
});
