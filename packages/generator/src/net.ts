import { isIPv4 } from 'node:net';
import type { Rng } from './rng';

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

/** First octets of public ranges for home IPs, none of them inside a school network. */
export const OFF_CAMPUS_OCTETS = [24, 47, 50, 67, 68, 71, 73, 75, 76, 96, 98, 99, 107, 108, 174];

/** A random home (off-campus) IPv4 address. */
export function homeIp(rng: Rng): string {
  return `${rng.pick(OFF_CAMPUS_OCTETS)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

/** networks.json: each school's LAN (10.<i>.0.0/16) and guest Wi-Fi (192.168.<i>.0/24). */
export function schoolNetworks(schools: readonly { index: number; sourcedId: string }[]): Record<string, string[]> {
  const networks: Record<string, string[]> = {};
  for (const s of schools) networks[s.sourcedId] = [`10.${s.index}.0.0/16`, `192.168.${s.index}.0/24`];
  return networks;
}
