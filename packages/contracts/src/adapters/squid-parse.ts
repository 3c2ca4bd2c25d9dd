import { isIP } from 'node:net';

/** The fields of one access-log line. */
export interface SquidLine {
  format: 'squid' | 'common';
  /** Epoch milliseconds. */
  timeMs: number;
  elapsedMs?: number;
  remoteHost: string;
  resultCode: string;
  status: number;
  bytes: number;
  method: string;
  url: string;
  /** User column (`rfc931` / auth user); undefined when `-`. */
  user?: string;
  hierarchy?: string;
  contentType?: string;
}

const NATIVE_RE =
  /^(\d{9,11}(?:\.\d{1,6})?)\s+(-?\d+)\s+(\S+)\s+([A-Za-z_]+)\/(\d{3})\s+(\d+|-)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(\S+))?(?:\s.*)?$/;
const COMMON_RE =
  /^(\S+)\s+(\S+)\s+(\S+)\s+\[(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\s+([+-]\d{4})\]\s+"(\S+)\s+(\S+)(?:\s+[^"]*)?"\s+(\d{3})\s+(\d+|-)(?:\s.*?)?(?:\s+([A-Z_]+):(\S+))?\s*$/;
const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

function userColumn(v: string | undefined): string | undefined {
  if (v === undefined || v === '-' || v === '') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Parses one access-log line (native or common/combined); null when it fits neither. */
export function parseSquidLine(line: string): SquidLine | null {
  const s = line.trim();
  let m = NATIVE_RE.exec(s);
  if (m) {
    const user = userColumn(m[9]);
    return {
      format: 'squid',
      timeMs: Math.round(Number(m[1]) * 1000),
      elapsedMs: Number(m[2]),
      remoteHost: m[3]!,
      resultCode: m[4]!,
      status: Number(m[5]),
      bytes: m[6] === '-' ? 0 : Number(m[6]),
      method: m[7]!,
      url: m[8]!,
      ...(user !== undefined ? { user } : {}),
      hierarchy: m[10]!,
      ...(m[11] !== undefined ? { contentType: m[11] } : {}),
    };
  }
  m = COMMON_RE.exec(s);
  if (m) {
    const month = MONTHS[m[5]!.toLowerCase()];
    if (month === undefined) return null;
    const off = m[10]!;
    const offMin = (off.startsWith('-') ? -1 : 1) * (Number(off.slice(1, 3)) * 60 + Number(off.slice(3, 5)));
    const timeMs =
      Date.UTC(Number(m[6]), month, Number(m[4]), Number(m[7]), Number(m[8]), Number(m[9])) - offMin * 60_000;
    const user = userColumn(m[3]) ?? userColumn(m[2]);
    return {
      format: 'common',
      timeMs,
      remoteHost: m[1]!,
      resultCode: m[15] ?? 'NONE',
      status: Number(m[13]),
      bytes: m[14] === '-' ? 0 : Number(m[14]),
      method: m[11]!,
      url: m[12]!,
      ...(user !== undefined ? { user } : {}),
      ...(m[16] !== undefined ? { hierarchy: m[16] } : {}),
    };
  }
  return null;
}

/** Where a logged request went. */
export interface RequestTarget {
  /** Lower-case host without port or brackets; for an IP literal its canonical form (`2001:db8::1`). */
  host: string;
  /** The host is an IPv4 or IPv6 address, not a name. */
  isIp: boolean;
  /** `scheme://host/path` without query or fragment, for http(s) URLs only. */
  url?: string;
}

const AUTHORITY_RE = /^[A-Za-z0-9.:_[\]-]+$/;

/**
 * Host of a logged URL: `http://host:port/path`, or the authority `host:port` / `[v6]:port` of a
 * CONNECT (or of a line without a scheme). IP literals are recognised in every form (WHATWG URL
 * parsing also canonicalises odd IPv4 spellings such as `0x7f.1`). Null when no host can be read.
 */
export function requestTarget(url: string, method: string): RequestTarget | null {
  const authorityOnly = method.toUpperCase() === 'CONNECT' || !url.includes('://');
  if (authorityOnly && isIP(url) === 6) return { host: url.toLowerCase(), isIp: true }; // bare v6, no port
  if (authorityOnly && !AUTHORITY_RE.test(url)) return null;
  let u: URL;
  try {
    u = new URL(authorityOnly ? `http://${url}` : url);
  } catch {
    return null;
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!host) return null;
  const isIp = isIP(host) !== 0;
  if (authorityOnly) return { host, isIp };
  const clean = u.protocol === 'http:' || u.protocol === 'https:' ? `${u.protocol}//${u.host}${u.pathname}` : undefined;
  return { host, isIp, ...(clean !== undefined && clean.length <= 8192 ? { url: clean } : {}) };
}

/** Lower-case path of a logged URL ('' for CONNECT authorities and unreadable URLs). */
export function requestPath(url: string, method: string): string {
  if (method.toUpperCase() === 'CONNECT' || !url.includes('://')) return '';
  try {
    return new URL(url).pathname.toLowerCase();
  } catch {
    return '';
  }
}
