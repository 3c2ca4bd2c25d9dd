import { isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR block. IPv4 blocks use 32-bit numbers, IPv6 blocks 128-bit bigints. */
export type Cidr =
  | { family: 4; network: number; mask: number; prefix: number; text: string }
  | { family: 6; network: bigint; mask: bigint; prefix: number; text: string };

export function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.');
  let n = 0;
  for (const p of parts) n = n * 256 + Number(p);
  return n >>> 0;
}

export function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  // Embedded IPv4 tail (::ffff:10.1.2.3).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToNumber(v4[1]);
    text = text.slice(0, -v4[1].length) + ((n >>> 16) & 0xffff).toString(16) + ':' + (n & 0xffff).toString(16);
  }
  const [head = '', tail] = text.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(fill).fill('0'), ...tailParts];
  let n = 0n;
  for (const g of groups) n = (n << 16n) + BigInt(parseInt(g || '0', 16));
  return n;
}

const V4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Parses "10.1.0.0/16", "2001:db8::/32" or a bare address (a /32 or /128). Throws with a reason. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash >= 0 ? t.slice(0, slash) : t;
  const prefixText = slash >= 0 ? t.slice(slash + 1) : undefined;
  if (isIPv4(addr)) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (!/^\d{1,2}$/.test(prefixText ?? '32') || prefix > 32) throw new Error(`bad IPv4 prefix length in "${t}"`);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return {
      family: 4,
      network: (ipv4ToNumber(addr) & mask) >>> 0,
      mask,
      prefix,
      text: t,
    };
  }
  if (isIPv6(addr)) {
    const prefix = prefixText === undefined ? 128 : Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText ?? '128') || prefix > 128) throw new Error(`bad IPv6 prefix length in "${t}"`);
    const all = (1n << 128n) - 1n;
    const mask = prefix === 0 ? 0n : (all << BigInt(128 - prefix)) & all;
    return {
      family: 6,
      network: ipv6ToBigInt(addr) & mask,
      mask,
      prefix,
      text: t,
    };
  }
  throw new Error(`"${t}" is not an IPv4 or IPv6 CIDR block`);
}

/** Matches client IPs against a set of CIDR blocks (each tagged with the school it belongs to). */
export class NetworkMatcher {
  private readonly v4: { network: number; mask: number; school: string }[] = [];
  private readonly v6: { network: bigint; mask: bigint; school: string }[] = [];

  constructor(networks: Map<string, string[]> | Iterable<[string, string[]]>) {
    for (const [school, cidrs] of networks) {
      for (const c of cidrs) {
        const cidr = parseCidr(c);
        if (cidr.family === 4) this.v4.push({ network: cidr.network, mask: cidr.mask, school });
        else this.v6.push({ network: cidr.network, mask: cidr.mask, school });
      }
    }
    // Longest prefix first, so the most specific school wins when blocks nest.
    this.v4.sort((a, b) => b.mask - a.mask);
    this.v6.sort((a, b) => (b.mask > a.mask ? 1 : b.mask < a.mask ? -1 : 0));
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** The school whose network holds `ip`, or null when none does (or `ip` is not an address). */
  match(ip: string): string | null {
    let text = ip.trim();
    const mapped = V4_MAPPED.exec(text);
    if (mapped?.[1]) text = mapped[1];
    if (isIPv4(text)) {
      const n = ipv4ToNumber(text);
      for (const b of this.v4) if ((n & b.mask) >>> 0 === b.network) return b.school;
      return null;
    }
    if (isIPv6(text)) {
      const n = ipv6ToBigInt(text);
      for (const b of this.v6) if ((n & b.mask) === b.network) return b.school;
      return null;
    }
    return null;
  }
}
