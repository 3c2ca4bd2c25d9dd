import { usageEventRow } from '@edusage/aggregate';
import { enrichEvent, RosterIndex, reviseRow, type StoredEventRow } from '../src';
import { KEY, POS, raw, sampleRoster, sampleView } from './helpers';

/** The roster without student stu1 (not synced yet): the school, classes and networks are there. */
function rosterWithoutStu1(): RosterIndex {
  const data = sampleRoster();
  data.users.delete('stu1');
  for (const [id, e] of data.enrollments) if (e.userSourcedId === 'stu1') data.enrollments.delete(id);
  return new RosterIndex('d1', 'v1', data, KEY);
}

const stored = (r: ReturnType<typeof raw>, roster: RosterIndex | null): StoredEventRow =>
  usageEventRow(
    enrichEvent(r, POS, sampleView({ roster }), KEY, '2025-01-15T18:00:02.000Z'),
    POS,
    '2025-01-15 18:00:03',
  );

describe('reviseRow: a stored unresolved event as if the roster had been loaded first', () => {
  const full = new RosterIndex('d1', 'v2', sampleRoster(), KEY);
  const events = [
    raw({ user: { sourced_id: 'stu1' }, app: { domain: 'khanacademy.org' } }), // inferred class (math1)
    raw({ user: { email: 'AMY.POND@district.org' }, app: { domain: 'newsela.com' } }), // by email, inferred read1
    raw({ user: { username: 'amy.pond' }, app: { app_id: 'desmos' }, class_id: 'read1' }), // explicit class
    raw({ user: { sourced_id: 'stu1' }, app: { domain: 'quizlet.com' }, school_id: 'sch1', client_ip: '10.1.2.3' }),
    raw({ user: { sourced_id: 'stu1' }, app: { domain: 'quizlet.com' }, client_ip: '192.0.2.7' }), // off campus
  ];

  it.each([
    ['a partial roster', () => rosterWithoutStu1()],
    ['no roster at all', () => null],
  ])('equals what enrich stores with the full roster (the events met %s)', (_, roster) => {
    for (const e of events) {
      const before = stored(e, roster());
      expect(before.person_resolved).toBe(0);
      const expected = stored(e, full);
      expect(expected.person_resolved).toBe(1);
      expect(reviseRow(before, e.event, full)).toEqual(expected);
    }
  });

  it('leaves a sender the roster still does not know', () => {
    const e = raw({ user: { email: 'new.kid@district.org' }, app: { domain: 'khanacademy.org' } });
    expect(reviseRow(stored(e, null), e.event, full)).toBeNull();
  });
});
