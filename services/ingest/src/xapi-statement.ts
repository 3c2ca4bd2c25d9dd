import { contentEventId, isIri, isObject, readSourceInstant, type RejectReason } from '@edusage/contracts';

/**
 * What the xAPI route checks itself, as an LRS: version negotiation, statement ids, and the skeleton
 * that makes a JSON object an xAPI statement. Everything about usage (verbs, apps, time bounds, …)
 * is the adapter's job (`@edusage/contracts` adaptXapi).
 */

/** The xAPI versions this LRS answers (the `about` resource lists them). */
export const XAPI_VERSIONS = ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '2.0.0'] as const;

type AnsweredVersion = '1.0.3' | '2.0.0';

/**
 * The `X-Experience-API-Version` request header → the version line the LRS answers in (latest patch
 * of the same major: 1.0.x → 1.0.3, 2.0.x → 2.0.0), or why the request is refused. xAPI 1.0.3 §3.3:
 * `1.0` counts as `1.0.0`; no header, versions before 1.0.0 and from 1.1.0 on are refused.
 */
export function negotiateVersion(
  header: unknown,
): { ok: true; version: AnsweredVersion } | { ok: false; message: string } {
  const value = typeof header === 'string' ? header.trim() : '';
  if (/^1\.0(\.\d+)?$/.test(value)) return { ok: true, version: '1.0.3' };
  if (/^2\.0(\.\d+)?$/.test(value)) return { ok: true, version: '2.0.0' };
  const supported = 'send "X-Experience-API-Version: 1.0.3" (any 1.0.x) or "2.0.0"';
  return {
    ok: false,
    message:
      value === ''
        ? `the X-Experience-API-Version header is required; ${supported}`
        : `X-Experience-API-Version ${value} is not supported; ${supported}`,
  };
}

/** The version every response carries: the requested line when supported, else the latest (2.0.0). */
export function responseVersion(header: unknown): AnsweredVersion {
  const negotiated = negotiateVersion(header);
  return negotiated.ok ? negotiated.version : '2.0.0';
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/**
 * The id the LRS answers for a statement: its own `id`, or, when it has none, a UUID made from the
 * same SHA-256 digest that the adapter uses as event_id (`sha256:<hex>` of the canonical JSON): the
 * first 128 bits with the RFC 9562 version-8 and variant bits set. A retry of the same statement gets
 * the same id back and produces the same event_id, which dedup removes downstream.
 */
export function statementIdOf(statement: Record<string, unknown>): string {
  if (isUuid(statement['id'])) return statement['id'];
  const digest = Buffer.from(contentEventId(statement).slice('sha256:'.length, 'sha256:'.length + 32), 'hex');
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const h = digest.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

class NotAStatement extends Error {
  constructor(
    readonly field: string | undefined,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

function refuse(field: string | undefined, message: string): never {
  throw new NotAStatement(field, message);
}

const IFIS = ['mbox', 'mbox_sha1sum', 'openid', 'account'] as const;

function checkIfi(value: Record<string, unknown>, field: string): number {
  const used = IFIS.filter((k) => value[k] !== undefined);
  if (used.length > 1) refuse(field, `has ${used.length} identifiers (${used.join(', ')}); xAPI allows exactly one`);
  const mbox = value['mbox'];
  if (mbox !== undefined && !(typeof mbox === 'string' && /^mailto:[^\s@]+@[^\s@]+$/i.test(mbox)))
    refuse(`${field}.mbox`, 'must be a mailto: IRI');
  const sha1 = value['mbox_sha1sum'];
  if (sha1 !== undefined && !(typeof sha1 === 'string' && /^[0-9a-f]{40}$/i.test(sha1)))
    refuse(`${field}.mbox_sha1sum`, 'must be a SHA-1 hex digest');
  if (value['openid'] !== undefined && !isIri(value['openid'])) refuse(`${field}.openid`, 'must be a URI');
  const account = value['account'];
  if (account !== undefined) {
    if (!isObject(account)) refuse(`${field}.account`, 'must be an object');
    if (!isIri(account['homePage'])) refuse(`${field}.account.homePage`, 'must be an IRL');
    if (typeof account['name'] !== 'string' || account['name'].length === 0)
      refuse(`${field}.account.name`, 'must be a non-empty string');
  }
  return used.length;
}

/** An Agent (exactly one identifier) or a Group (one identifier, or anonymous with `member`). */
function checkAgentOrGroup(value: unknown, field: string): void {
  if (!isObject(value)) refuse(field, 'must be an Agent or Group object');
  const type = value['objectType'];
  if (type === 'Group') {
    const members = value['member'];
    if (members !== undefined) {
      if (!Array.isArray(members)) refuse(`${field}.member`, 'must be an array of Agents');
      members.forEach((m, i) => checkAgentOrGroup(m, `${field}.member.${i}`));
    }
    if (checkIfi(value, field) === 0 && !(Array.isArray(members) && members.length > 0))
      refuse(field, 'an anonymous Group needs a non-empty member list');
    return;
  }
  if (type !== undefined && type !== 'Agent') refuse(`${field}.objectType`, 'must be Agent or Group');
  if (checkIfi(value, field) === 0)
    refuse(field, 'an Agent needs exactly one identifier (mbox, mbox_sha1sum, openid or account)');
}

function checkObject(value: unknown, field: string, inSubStatement: boolean): void {
  if (!isObject(value)) refuse(field, 'must be an object (Activity, Agent, Group, StatementRef or SubStatement)');
  const type = value['objectType'];
  if (type === 'Agent' || type === 'Group') return checkAgentOrGroup(value, field);
  if (type === 'StatementRef') {
    if (!isUuid(value['id'])) refuse(`${field}.id`, 'a StatementRef needs the UUID of a statement');
    return;
  }
  if (type === 'SubStatement') {
    if (inSubStatement) refuse(`${field}.objectType`, 'a SubStatement cannot contain another SubStatement');
    return checkSkeleton(value, field, true);
  }
  // An Activity. Other objectTypes with an IRI id are tolerated: Open edX sends `GroupActivity`.
  if (!isIri(value['id'])) refuse(`${field}.id`, 'an Activity needs an IRI id');
}

/**
 * A timestamp (or `stored`) the adapter reads: the spellings `readSourceInstant` takes (the adapter's
 * own reading, so a statement answered 200 is never dead-lettered for its form; only its time bounds
 * are the adapter's). A negative zero offset (`-00`, `-0000`, `-00:00`) is refused: ISO 8601 writes
 * UTC as `Z` or `+00:00`, and the ADL conformance suite expects 400 for it (XAPI-00123).
 */
function checkTimestamp(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'string') refuse(field, 'must be an ISO 8601 date-time string');
  const read = readSourceInstant(value);
  if (!read.ok) refuse(field, read.problem);
  if (/-00(:?00)?$/.test(value)) refuse(field, 'must not have the offset -00:00; write UTC as Z or +00:00');
}

function checkSkeleton(s: Record<string, unknown>, prefix: string, inSubStatement: boolean): void {
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (s['actor'] === undefined) refuse(at('actor'), 'is missing');
  checkAgentOrGroup(s['actor'], at('actor'));
  const verb = s['verb'];
  if (!isObject(verb)) refuse(at('verb'), verb === undefined ? 'is missing' : 'must be an object');
  if (!isIri(verb['id'])) refuse(at('verb.id'), 'must be an IRI');
  if (s['object'] === undefined) refuse(at('object'), 'is missing');
  checkObject(s['object'], at('object'), inSubStatement);
  for (const name of ['timestamp', 'stored']) checkTimestamp(s[name], at(name));
  for (const name of ['result', 'context']) {
    if (s[name] !== undefined && !isObject(s[name])) refuse(at(name), 'must be an object');
  }
  if (s['authority'] !== undefined) checkAgentOrGroup(s['authority'], at('authority'));
  const context = s['context'];
  if (isObject(context) && context['registration'] !== undefined && !isUuid(context['registration']))
    refuse(at('context.registration'), 'must be a UUID');
}

/**
 * Why a value is not an xAPI statement, or null when it is one. The check covers the skeleton the
 * xAPI specification requires (a UUID `id` if any, an Agent or Group actor (and authority) with
 * exactly one identifier, a verb with an IRI id, an object of a known kind, ISO 8601 `timestamp` and
 * `stored`, no top-level nulls); an LRS answers 400 for such a statement. Not checked (tolerated, so
 * that a real emitter's batch is not refused for it): unknown properties, other objectTypes with an
 * IRI id (Open edX sends `GroupActivity`), language maps, result and context details, extensions.
 */
export function statementProblem(value: unknown): RejectReason | null {
  try {
    if (!isObject(value)) refuse(undefined, 'an xAPI statement must be a JSON object');
    for (const [name, v] of Object.entries(value)) if (v === null) refuse(name, 'must not be null');
    if (value['id'] !== undefined && !isUuid(value['id'])) refuse('id', 'must be a UUID');
    const version = value['version'];
    if (version !== undefined && !(typeof version === 'string' && /^[12]\.0(\.\d+)?$/.test(version)))
      refuse('version', 'must be 1.0.x or 2.0.x');
    checkSkeleton(value, '', false);
    return null;
  } catch (err) {
    if (!(err instanceof NotAStatement)) throw err;
    return { code: 'invalid_field', message: err.message, ...(err.field !== undefined ? { field: err.field } : {}) };
  }
}

/** Positions (0-based) of statements whose id already appeared earlier in the batch (xAPI: 400). */
export function repeatedIds(statements: readonly unknown[]): Array<{ index: number; first: number; id: string }> {
  const seen = new Map<string, number>();
  const repeats: Array<{ index: number; first: number; id: string }> = [];
  statements.forEach((s, index) => {
    const id = isObject(s) && isUuid(s['id']) ? s['id'].toLowerCase() : undefined;
    if (id === undefined) return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else repeats.push({ index, first, id });
  });
  return repeats;
}
