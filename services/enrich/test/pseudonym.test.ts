/**
 * pseudonymize keeps the pseudonyms it computed (per key, bounded). Whatever it kept, each answer must
 * be the documented HMAC of that key (documented-ids.ts computes it with node:crypto alone).
 */
import { enrichedEventId, pseudonymize, pseudonymizeOnce } from '../src/enrich/pseudonym';
import { documentedEventId, documentedPseudonym } from './documented-ids';

test('kept pseudonyms: per key, the documented HMAC, also after the memory was filled and forgotten', () => {
  const keys = ['k'.repeat(32), 'another-key-of-this-deployment-0123'];
  const check = (canonical: string) => {
    for (const key of keys)
      for (const district of ['d1', 'd2'])
        expect([key, district, canonical, pseudonymize(key, district, canonical)]).toEqual([
          key,
          district,
          canonical,
          documentedPseudonym(key, district, canonical),
        ]);
  };
  check('student-1@school.example');
  check('student-1@school.example'); // the kept one
  // More people than are kept: the first ones are forgotten and computed again.
  const wrong: string[] = [];
  for (let i = 0; i < 25_000; i++) {
    const canonical = `person-${i}`;
    if (pseudonymize(keys[0]!, 'd1', canonical) !== documentedPseudonym(keys[0]!, 'd1', canonical))
      wrong.push(canonical);
  }
  expect(wrong).toEqual([]);
  check('student-1@school.example');
  check('person-3');
  // The roster's and the outcomes import's bulk path keeps nothing and gives the same function.
  expect(pseudonymizeOnce(keys[1]!, 'd2', 'person-7')).toBe(documentedPseudonym(keys[1]!, 'd2', 'person-7'));
});

test('event ids: per key, the documented keyed digest of district, source and sent id', () => {
  for (const key of ['k'.repeat(32), 'another-key-of-this-deployment-0123'])
    for (const [district, source, id] of [
      ['d1', 'agent', 'evt-1'],
      ['d2', 'import', 'google-classroom:0123abcd'],
      ['d1', 'proxy', '中|"quoted"'],
    ] as const)
      expect(enrichedEventId(key, district, source, id)).toBe(documentedEventId(key, district, source, id));
});
