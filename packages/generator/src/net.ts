import { isIPv4 } from 'node:net';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Whether an IPv4 address is inside an IPv4 CIDR range (IPv6 never matches). */
export function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!base || !isIPv4(ip) || !isIPv4(base) || !(bits >= 0 && bits <= 32)) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4ToInt(ip) / size) === Math.floor(ipv4ToInt(base) / size);
}

/** The school whose network holds the IP, or null (off campus). */
export function schoolOfIp(networks: Record<string, string[]>, ip: string): string | null {
  for (const [school, ranges] of Object.entries(networks)) {
    if (ranges.some((r) => ipInCidr(ip, r))) return school;
  }
  return null;
}
