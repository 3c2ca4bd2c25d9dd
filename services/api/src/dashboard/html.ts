/** HTML escaping and number formatting for the dashboard's server-rendered pages. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A fragment of HTML that is already safe (escaped or built from escaped parts). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += Array.isArray(v) ? v.map(part).join('') : part(v);
    out += strings[i + 1]!;
  });
  return new Html(out);
}
const part = (v: unknown) => (v instanceof Html ? v.value : v === undefined || v === null || v === false ? '' : esc(v));

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export const fmtInt = (n: number) => intFormat.format(n);
export const fmtFixed = (n: number, decimals: number) =>
  n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
export const fmt1 = (n: number) => oneDecimal.format(n);
export const fmtMoney = (n: number, currency: string) => `${money.format(n)} ${currency}`;
export const fmtPct = (share: number | null) => (share === null ? '—' : `${oneDecimal.format(share * 100)} %`);

/** Engaged seconds as hours, one decimal: the figure the dashboard shows and compares with the API. */
export const hours = (seconds: number) => Math.round(seconds / 360) / 10;
/** A YYYYMM month as YYYY-MM. */
export const fmtMonth = (m: number) => `${Math.floor(m / 100)}-${String(m % 100).padStart(2, '0')}`;
/** An ISO 8601 UTC time as 'YYYY-MM-DD hh:mm UTC'. */
export const fmtUtcMinute = (t: string) => `${t.slice(0, 10)} ${t.slice(11, 16)} UTC`;

/** Query string of a dashboard link (undefined values left out). */
export function qs(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries).toString()}`;
}
