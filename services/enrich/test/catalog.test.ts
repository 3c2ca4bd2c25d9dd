import { AppCatalog, hostOf, loadShippedCatalog, parseCatalogJson } from '../src';

const shipped = loadShippedCatalog();
const catalog = new AppCatalog(shipped);

describe('shipped app catalog', () => {
  it('has about 60+ apps with unique ids and domains', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(60);
    expect(new Set(shipped.map((a) => a.app_id)).size).toBe(shipped.length);
    const domains = shipped.flatMap((a) => a.domains);
    expect(new Set(domains).size).toBe(domains.length);
  });
});

describe('app resolution', () => {
  it.each([
    [{ domain: 'khanacademy.org' }, 'khan-academy'],
    [{ domain: 'www.khanacademy.org' }, 'khan-academy'],
    [{ domain: 'es.khanacademy.org' }, 'khan-academy'],
    [{ url: 'https://es.khanacademy.org/math/algebra?x=1' }, 'khan-academy'],
    [{ url: 'HTTPS://User@WWW.KhanAcademy.org:443/' }, 'khan-academy'],
    [{ url: 'khanacademy.org/science' }, 'khan-academy'],
    [{ domain: 'docs.google.com' }, 'google-docs'],
    [{ url: 'https://docs.google.com/document/d/1' }, 'google-docs'],
    [{ domain: 'google.com' }, 'google-search'],
    [{ domain: 'www.google.com' }, 'google-search'],
    [{ domain: 'classroom.google.com' }, 'google-classroom'],
    [{ domain: 'mydistrict.instructure.com' }, 'canvas'],
    [{ domain: 'teams.microsoft.com' }, 'microsoft-teams'],
    [{ app_id: 'ixl' }, 'ixl'],
    [{ app_id: 'IXL ', domain: 'example.org' }, 'ixl'],
    [{ app_id: 'quizlet.com' }, 'quizlet'],
  ])('%j → %s', (ref, appId) => {
    expect(catalog.resolve(ref)).toMatchObject({
      app_id: appId,
      app_resolved: true,
    });
  });

  it('unresolved apps are keyed by host, else kept by id, else unknown', () => {
    expect(catalog.resolve({ url: 'https://www.someapp.example.com/x' })).toEqual({
      app_id: 'domain:someapp.example.com',
      app_resolved: false,
      app_domain: 'someapp.example.com',
    });
    expect(catalog.resolve({ app_id: 'vendor-x', domain: 'vendor-x.io' })).toMatchObject({
      app_id: 'domain:vendor-x.io',
      app_resolved: false,
    });
    expect(catalog.resolve({ app_id: 'Vendor-X' })).toEqual({
      app_id: 'vendor-x',
      app_resolved: false,
      app_domain: null,
    });
    // An id that could carry a path, a query or an address keeps only its host, else nothing.
    for (const [sent, host] of [
      ['https://portal.example-school.org/students/jane.doe/work', 'portal.example-school.org'],
      ['portal.example-school.org/profile?student=jane.doe@school.org', 'portal.example-school.org'],
      ['jane.doe@school.org', 'school.org'],
    ] as const) {
      expect(catalog.resolve({ app_id: sent })).toEqual({
        app_id: `domain:${host}`,
        app_resolved: false,
        app_domain: host,
      });
    }
    for (const sent of ['jane.doe@school', 'students/jane-doe', 'app?user=jane', 'app#jane', 'a%40b', 'x\\jane']) {
      expect(catalog.resolve({ app_id: sent })).toEqual({ app_id: 'unknown', app_resolved: false, app_domain: null });
    }
    // A catalog app named by a URL in the id field still resolves, and a plain unknown id stays.
    expect(catalog.resolve({ app_id: 'https://www.khanacademy.org/students/jane' }).app_id).toBe('khan-academy');
    expect(catalog.resolve({ app_id: 'lti:vendor-x 2' }).app_id).toBe('lti:vendor-x 2');
    expect(catalog.resolve({ url: 'not a url' })).toEqual({
      app_id: 'unknown',
      app_resolved: false,
      app_domain: null,
    });
    expect(catalog.resolve({ domain: 'com' })).toMatchObject({
      app_resolved: false,
    });
    // A bare public suffix never matches an app.
    expect(catalog.resolve({ domain: 'org.uk' })).toMatchObject({
      app_id: 'domain:org.uk',
      app_resolved: false,
    });
  });

  it('app_domain is the event host without www.', () => {
    expect(catalog.resolve({ url: 'https://www.es.khanacademy.org/' }).app_domain).toBe('es.khanacademy.org');
    expect(hostOf('http://[::1]:8080/')).toBeNull();
    expect(hostOf('10.0.0.1')).toBe('10.0.0.1');
  });

  it('district extensions add apps, replace entries and take over domains', () => {
    const ext = parseCatalogJson(
      JSON.stringify({
        apps: [
          {
            app_id: 'district-portal',
            name: 'Portal',
            domains: ['portal.d1.k12.us'],
            category: 'portal',
          },
          {
            app_id: 'my-google-search',
            name: 'Search',
            domains: ['google.com'],
          },
          { app_id: 'ixl', name: 'IXL (district)', domains: ['ixl.d1.k12.us'] },
        ],
      }),
    );
    const c = new AppCatalog(shipped, ext);
    expect(c.resolve({ domain: 'portal.d1.k12.us' })).toMatchObject({
      app_id: 'district-portal',
      app_resolved: true,
    });
    expect(c.resolve({ domain: 'google.com' }).app_id).toBe('my-google-search');
    expect(c.resolve({ domain: 'docs.google.com' }).app_id).toBe('google-docs');
    expect(c.resolve({ domain: 'ixl.d1.k12.us' }).app_id).toBe('ixl');
    // The replaced ixl entry no longer claims ixl.com.
    expect(c.resolve({ domain: 'ixl.com' })).toMatchObject({
      app_id: 'domain:ixl.com',
      app_resolved: false,
    });
    expect(c.get('ixl')?.category).toBe('other');
  });

  it('rejects bad catalog files with the field', () => {
    expect(() => parseCatalogJson('{"apps":[{"app_id":"Bad Id","name":"x"}]}')).toThrow(/apps\.0\.app_id/);
    expect(() => parseCatalogJson('[{"app_id":"ok","name":"x","domains":["not a domain"]}]')).toThrow(/domains/);
    expect(() => parseCatalogJson('{')).toThrow(/JSON/);
    expect(parseCatalogJson('[{"app_id":"ok","name":"x"}]')).toEqual([
      { app_id: 'ok', name: 'x', domains: [], category: 'other' },
    ]);
  });
});
