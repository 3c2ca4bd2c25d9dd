import { deadLetterSchema, enrichedEventSchema } from '@edusage/contracts';
import { processMessages } from '../src';
import { KEY, raw, sampleView } from './helpers';

const view = sampleView();
const ctx = {
  topic: 't.usage.raw',
  partition: 3,
  pseudonymKey: KEY,
  view: () => view,
  validateOutput: true,
};

describe('processMessages', () => {
  it('enriches valid messages keyed district|person_id and dead-letters the rest with the reason', () => {
    const good = raw({
      user: { sourced_id: 'stu1' },
      app: { domain: 'khanacademy.org' },
    });
    const noUser = {
      ...raw({ user: { sourced_id: 'x' }, app: { app_id: 'ixl' } }),
    } as { event: Record<string, unknown> };
    noUser.event.user = {};
    const badType = raw({
      user: { sourced_id: 'stu1' },
      app: { app_id: 'ixl' },
    }) as unknown as { event: Record<string, unknown> };
    badType.event.type = 'scroll';
    const out = processMessages(
      [
        { value: Buffer.from(JSON.stringify(good)), offset: '10' },
        { value: Buffer.from('{not json'), offset: '11' },
        { value: null, offset: '12' },
        { value: Buffer.from(JSON.stringify(noUser)), offset: '13' },
        { value: Buffer.from(JSON.stringify(badType)), offset: '14' },
      ],
      ctx,
    );
    expect(out.enriched).toHaveLength(1);
    const e = enrichedEventSchema.parse(JSON.parse(out.enriched[0]!.value));
    expect(out.enriched[0]!.key).toBe(`d1|${e.person_id}`);
    expect(e.raw).toEqual({ topic: 't.usage.raw', partition: 3, offset: '10' });
    const letters = out.dlq.map((m) => deadLetterSchema.parse(JSON.parse(m.value)));
    expect(letters.map((l) => [l.stage, l.reason.code, l.reason.field ?? null, l.origin])).toEqual([
      ['enrich', 'malformed_json', null, 't.usage.raw/3@11'],
      ['enrich', 'malformed_json', null, 't.usage.raw/3@12'],
      ['enrich', 'missing_identifier', 'event.user', 't.usage.raw/3@13'],
      ['enrich', 'invalid_field', 'event.type', 't.usage.raw/3@14'],
    ]);
    expect(letters[0]!.payload).toBe('{not json');
    expect(letters[2]).toMatchObject({ source: 'agent', district_id: 'd1' });
    expect(out.dlq[2]!.key).toBe('agent');
  });

  it('counts unresolved people and apps (kept, not dropped)', () => {
    const msgs = [
      raw({
        user: { email: 'who@x.org' },
        app: { domain: 'new-app.example.com' },
      }),
      raw({ user: { sourced_id: 'stu1' }, app: { app_id: 'ixl' } }),
    ].map((r, i) => ({ value: JSON.stringify(r), offset: String(i) }));
    const out = processMessages(msgs, ctx);
    expect(out.enriched).toHaveLength(2);
    expect(out.unresolvedPeople).toBe(1);
    expect(out.unresolvedApps).toBe(1);
  });

  // Speed is measured by `node services/enrich/dist/bench.js` and `pnpm bench`, not by a timed test
  // (a timing bound here failed under load): this only checks a large batch comes out whole.
  it('enriches a large batch without losing or reordering a message', () => {
    const msgs = Array.from({ length: 20_000 }, (_, i) => ({
      value: Buffer.from(
        JSON.stringify(
          raw({
            user: i % 2 ? { sourced_id: 'stu1' } : { email: `p${i % 500}@x.org` },
            app: { url: `https://www.khanacademy.org/x/${i}` },
            client_ip: '10.1.0.1',
          }),
        ),
      ),
      offset: String(i),
    }));
    const out = processMessages(msgs, { ...ctx, validateOutput: false });
    expect(out.enriched).toHaveLength(msgs.length);
    const rawOffsets = out.enriched.map((m) => (JSON.parse(m.value) as { raw: { offset: string } }).raw.offset);
    expect(rawOffsets).toEqual(msgs.map((m) => m.offset));
  });
});
