/**
 * A license's app is joined to the rollups by app_id, which enrich writes lower-cased (a catalog id)
 * or as `domain:<host>`. The key the license import stores must be the one enrich gives the same app,
 * however the inventory spells it.
 */
import { AppCatalog, loadShippedCatalog } from '@edusage/enrich';
import { appKey } from '../src/fields';

const catalog = new AppCatalog(loadShippedCatalog());
const known = loadShippedCatalog().find((a) => a.domains.length > 0)!;

describe("a license's app key is enrich's app_id for the same app", () => {
  it.each([
    [known.app_id.toUpperCase(), { app_id: known.app_id }],
    [` ${known.app_id} `, { app_id: known.app_id }],
    ['Some-Unlisted-App', { app_id: 'Some-Unlisted-App' }],
    ['https://WWW.Unlisted-Example.org/path?q=1', { url: 'https://www.unlisted-example.org/path?q=1' }],
    ['domain:Unlisted-Example.org', { domain: 'unlisted-example.org' }],
    ['DOMAIN:www.unlisted-example.org', { domain: 'www.unlisted-example.org' }],
  ])('%s', (inventory, event) => {
    expect(appKey.parse(inventory)).toBe(catalog.resolve(event).app_id);
  });

  it('still refuses what is neither an app id nor a domain', () => {
    expect(appKey.safeParse('not an id!').success).toBe(false);
    expect(appKey.safeParse('domain:nodot').success).toBe(false);
  });
});
