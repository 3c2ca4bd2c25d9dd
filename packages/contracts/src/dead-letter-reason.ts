import type { DeadLetter } from './dead-letter';

/**
 * A dead letter's reason without any input text in it, so it may be stored in ClickHouse (the raw
 * payload stays on `usage.dlq` only). Adapters word their messages freely and some quote the input
 * (V8's JSON errors show the text around the error, a proxy line's bad token, a value that is not a
 * date), so the rule is generic instead of per message:
 *
 * - message: every run of at least {@link MIN_QUOTE} characters that also occurs in the payload
 *   (case-insensitive; also in its JSON string values and URL-decoded form) becomes `…`, except whole
 *   words that are plain field names (the payload's identifier-like keys, the reason's field path)
 *   occurring in no value;
 *   cut to {@link MAX_MESSAGE_CHARS}. So no substring of {@link MIN_QUOTE}+ characters of a value in the
 *   payload can survive.
 * - field path: a segment is kept when it is a plain name (`[A-Za-z_$][\w$-]*`, or an array index)
 *   that is not part of a payload value or of a key that is not itself a plain name (a key such as an
 *   email, an IRI); other segments become `*`.
 *
 * Idempotent, so the aggregate applies it again to letters written by older versions.
 */
export function storableReason(reason: DeadLetter['reason'], payloadText: string): DeadLetter['reason'] {
  const input = inputTexts(payloadText);
  const field = reason.field !== undefined ? storableFieldPath(reason.field, input) : undefined;
  // Field names stay readable, unless the word is also part of a value (`person` in `x.person@…`).
  const allowedWords = new Set(
    [...input.plainKeys, ...(field ?? '').split('.').filter((s) => s !== '*')]
      .map((w) => w.toLowerCase())
      .filter((w) => !input.values.includes(w)),
  );
  return {
    code: reason.code,
    message: redactQuotes(reason.message.slice(0, MAX_MESSAGE_CHARS), input.haystack, allowedWords),
    ...(field !== undefined ? { field } : {}),
    ...(reason.line !== undefined ? { line: reason.line } : {}),
  };
}

/** Shortest run of input text redacted from a message (the privacy check's substring length). */
export const MIN_QUOTE = 6;
/** Longest message kept: a reason is a sentence, not a copy of the input. */
export const MAX_MESSAGE_CHARS = 500;

const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/;
const INDEX = /^\d{1,9}$/;

interface InputTexts {
  /** Lower-cased texts a quote could come from: the payload, its JSON string values and non-plain keys, URL-decoded. */
  haystack: string;
  /** Lower-cased values only (no plain keys): what a field path segment must not be part of. */
  values: string;
  /** JSON object keys of the payload that are plain names (field names, never personal values). */
  plainKeys: Set<string>;
}

function inputTexts(payloadText: string): InputTexts {
  const plainKeys = new Set<string>();
  const strings: string[] = [];
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(payloadText);
    isJson = true;
  } catch {
    // Not JSON (a proxy or CSV line, a cut-off body): the text itself is all there is.
  }
  if (!isJson) {
    const text = [payloadText, safeDecodeUri(payloadText)].join('\n').toLowerCase();
    return { haystack: text, values: text, plainKeys };
  }
  collectStrings(parsed, strings, plainKeys);
  const values = strings.join('\n').toLowerCase();
  return { haystack: [payloadText.toLowerCase(), values].join('\n'), values, plainKeys };
}

function collectStrings(value: unknown, out: string[], plainKeys: Set<string>, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === 'string') out.push(value, safeDecodeUri(value));
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out, plainKeys, depth + 1);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (PLAIN_NAME.test(k)) plainKeys.add(k.toLowerCase());
      else out.push(k, safeDecodeUri(k));
      collectStrings(v, out, plainKeys, depth + 1);
    }
  }
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function storableFieldPath(field: string, input: InputTexts): string {
  const path = field.slice(0, MAX_MESSAGE_CHARS);
  // Marked characters belong to a run the path shares with a payload value (or a key such as an email).
  const marked = markShared(path, input.values);
  let at = 0;
  return path
    .split('.')
    .map((segment) => {
      const start = at;
      at += segment.length + 1;
      if (INDEX.test(segment)) return segment;
      if (!PLAIN_NAME.test(segment)) return '*';
      const shared = marked.slice(start, start + segment.length).some(Boolean);
      return shared && !input.plainKeys.has(segment.toLowerCase()) ? '*' : segment;
    })
    .join('.');
}

/** For each character of `text`: is it inside a MIN_QUOTE-character run that also occurs in `haystack`? */
function markShared(text: string, haystack: string): boolean[] {
  const lower = text.toLowerCase();
  const marked = new Array<boolean>(text.length).fill(false);
  for (let i = 0; i + MIN_QUOTE <= lower.length; i++) {
    if (haystack.includes(lower.slice(i, i + MIN_QUOTE))) marked.fill(true, i, i + MIN_QUOTE);
  }
  return marked;
}

/** Replaces every run of the message covered by a MIN_QUOTE-character window found in the input with `…`. */
function redactQuotes(message: string, haystack: string, allowedWords: Set<string>): string {
  const marked = markShared(message, haystack);
  // Whole words that are plain field names stay readable ("active_seconds: must be a number").
  for (const m of message.matchAll(/[A-Za-z_$][A-Za-z0-9_$-]*/g)) {
    if (allowedWords.has(m[0].toLowerCase())) marked.fill(false, m.index, m.index + m[0].length);
  }
  let out = '';
  for (let i = 0; i < message.length; i++) {
    if (!marked[i]) out += message[i];
    else if (i === 0 || !marked[i - 1]) out += '…';
  }
  return out;
}
