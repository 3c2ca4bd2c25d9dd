/**
 * The alert webhook: a JSON POST whose raw body is signed with HMAC-SHA256 (header
 * `X-Edusage-Signature: sha256=<hex>`), so the receiver can check it came from us unchanged.
 * Any answer but 2xx, or no answer in time, throws: BullMQ retries the delivery with backoff.
 */
import { createHmac } from 'node:crypto';
import type { RenewalAlert } from './renewal-alerts';

export const SIGNATURE_HEADER = 'x-edusage-signature';
export const ALERT_ID_HEADER = 'x-edusage-alert-id';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The body sent for an alert (built once, when the delivery is queued, and sent unchanged on retries). */
export function alertBody(alert: RenewalAlert): string {
  return JSON.stringify({ type: 'license.renewal_low_utilization', alert: { ...alert, created_ms: undefined } });
}

export async function postWebhook(
  url: string,
  secret: string,
  alertId: string,
  body: string,
  timeoutMs: number,
  /** Aborts the POST (shutdown: the delivery is handed back and sent again later). */
  signal?: AbortSignal,
): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signBody(body, secret),
      [ALERT_ID_HEADER]: alertId,
    },
    body,
    signal: signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]) : AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`webhook answered HTTP ${res.status}`);
  return res.status;
}
