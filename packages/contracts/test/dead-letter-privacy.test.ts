import { deadLetterBuilder, parseJsonPayload, type DeadLetter } from '../src';

/** Every substring of `secret` with at least `min` characters that occurs in `text` (case-insensitive). */
function leakedPieces(text: string, secret: string, min = 6): string[] {
  const hay = text.toLowerCase();
  const s = secret.toLowerCase();
  const out: string[] = [];
  for (let i = 0; i + min <= s.length; i++) {
    const piece = s.slice(i, i + min);
    if (hay.includes(piece)) out.push(piece);
  }
  return out;
}

/** The parts of a dead letter that are stored in ClickHouse (everything but the payload). */
const storedText = (letter: DeadLetter): string =>
  [letter.reason.message, letter.reason.field ?? '', letter.origin ?? '', letter.source, letter.district_id ?? ''].join(
    '\n',
  );

const build = deadLetterBuilder({ stage: 'ingest', source: 'agent', districtId: 'd1', inputFormat: 'native' });

describe('dead letters quote no input outside their payload', () => {
  const email = 'jane.doe.hidden@school.example.org';

  test("Node's JSON error text (which quotes the input) does not reach the reason", () => {
    const text = `{"user":{"email":"${email}"}, "x": broken`;
    const parsed = parseJsonPayload(text);
    if (parsed.ok) throw new Error('expected a parse error');
    // The client's own answer may quote its input: the parse reason does.
    expect(leakedPieces(parsed.reason.message, 'broken')).not.toEqual([]);
    const letter = build({ reason: parsed.reason, payload: text });
    expect(leakedPieces(storedText(letter), email)).toEqual([]);
    expect(leakedPieces(storedText(letter), '"x": broken')).toEqual([]);
    // Still says what and where.
    expect(letter.reason.code).toBe('malformed_json');
    expect(letter.reason.line).toBe(1);
    expect(letter.reason.message).toMatch(/^line 1: not valid JSON/);
    // The payload itself stays whole on usage.dlq, for replay.
    expect(letter.payload).toBe(text);
  });

  test('an input value named in a message, quoted or not, is cut out', () => {
    const payload = { user: { username: 'Wolfeschlegel' }, type: 'Hoverboarding' };
    const letter = build({
      reason: {
        code: 'invalid_field',
        field: 'type',
        message: 'type: "Hoverboarding" is not one of use, page_view; user Wolfeschlegel unknown',
      },
      payload,
    });
    expect(leakedPieces(storedText(letter), 'Hoverboarding')).toEqual([]);
    expect(leakedPieces(storedText(letter), 'Wolfeschlegel')).toEqual([]);
    expect(letter.reason.message).toMatch(/^type: /);
    expect(letter.reason.field).toBe('type');
  });

  test('a field name kept readable is not left standing inside a quoted value', () => {
    const email = 'qx.person.smithers@school.example.org';
    const payload = { user: { email }, person: { school: 1 } };
    const letter = build({
      reason: { code: 'invalid_field', field: 'user.email', message: `user.email: ${email} is shared by two people` },
      payload,
    });
    expect(leakedPieces(storedText(letter), email)).toEqual([]);
    expect(letter.reason.message).toMatch(/^user\.email: … is shared by two people$/);
  });

  test('a field path made of input keys keeps only plain names', () => {
    const text = `{"context":{"extensions":{"${email}":1,"${email}":2}}}`;
    const parsed = parseJsonPayload(text, { rejectDuplicateKeys: true });
    if (parsed.ok) throw new Error('expected a duplicate key');
    const letter = build({ reason: parsed.reason, payload: text });
    expect(leakedPieces(storedText(letter), email)).toEqual([]);
    expect(letter.reason.field).toMatch(/^context\.extensions\./);
  });

  test('a Squid line with a token in its query string leaves the token in the payload only', () => {
    const token = 'tok3nS3cr3tValue99';
    const line = `1700000000.000 12 10.0.0.1 TCP_MISS/200 512 GETX https://khanacademy.org/x?session=${token} -`;
    const letter = build({
      reason: { code: 'unparseable_line', line: 4, message: `line 4: unknown method GETX in ${line.slice(30)}` },
      payload: line,
    });
    expect(leakedPieces(storedText(letter), token)).toEqual([]);
    expect(letter.reason.message).toMatch(/^line 4: unknown method/);
  });
});
