import { FAMILY_NAMES, GIVEN_NAMES } from './catalog';
import { homeIp } from './net';
import type { Rng } from './rng';
import { zeroPad, type UnknownActor } from './roster-model';
import type { ResolvedOptions, UnknownPerson } from './types';

const CHANNELS = ['squid', 'extension', 'agent', 'caliper'] as const;

/**
 * People who send events but are not in the roster (≈1.5% of the students, at least four), taking
 * the channels in turn so every kind of unresolved person occurs.
 */
export function buildUnknownActors(opts: ResolvedOptions, rng: Rng, studentCount: number): UnknownActor[] {
  const unknown: UnknownActor[] = [];
  const count = Math.max(4, Math.round(studentCount * 0.015));
  for (let i = 0; i < count; i++) {
    const channel = CHANNELS[i % CHANNELS.length]!;
    const n = i + 1;
    const user = unknownUser(channel, n, rng);
    unknown.push({ idx: i, key: `unknown-${n}`, user, channel, school: rng.int(1, opts.schools), homeIp: homeIp(rng) });
  }
  return unknown;
}

/** How each channel identifies someone the roster does not know. */
function unknownUser(channel: UnknownActor['channel'], n: number, rng: Rng): UnknownPerson['user'] {
  switch (channel) {
    case 'squid':
      return { username: `guest${zeroPad(n, 3)}` };
    case 'extension':
      return { email: `${rng.pick(GIVEN_NAMES)}.${rng.pick(FAMILY_NAMES)}${n}@gmail.com`.toLowerCase() };
    case 'agent':
      return { sourced_id: `stu-x${zeroPad(n, 5)}` };
    case 'caliper':
      return { sourced_id: `ext-${zeroPad(n, 5)}` };
  }
}
