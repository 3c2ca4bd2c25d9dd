import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled busy seconds (everything but idle). */
  busySeconds: number;
  /** Share of busy time per code owner: a package from node_modules, an @edusage package or service, node internals, GC. */
  byModule: { module: string; share: number }[];
  /** Functions with the most self time. */
  topFunctions: { fn: string; where: string; share: number }[];
}

/** Which code a profile frame belongs to, from its script URL. */
function ownerOf(frame: ProfileNode['callFrame']): string {
  const url = frame.url;
  if (!url) {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(program)') return '(program: native/V8)';
    return frame.functionName || '(native)';
  }
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return pnpm[1]!;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return url.startsWith('node:internal/deps/undici') ? 'node:undici' : 'node internals';
  const own = /\/(services|packages)\/([^/]+)\//.exec(url);
  if (own) return own[1] === 'services' ? `service ${own[2]}` : `@edusage/${own[2]}`;
  return url;
}

/** Summarizes a V8 .cpuprofile (node --cpu-prof) by owner and by function self time. */
export function summarizeProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalSamples = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const secondsPerSample = totalSamples > 0 ? (profile.endTime - profile.startTime) / 1e6 / totalSamples : 0;
  const byModule = new Map<string, number>();
  const byFn = new Map<string, { where: string; hits: number }>();
  let busy = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === '(idle)') continue;
    busy += hits;
    const owner = ownerOf(n.callFrame);
    byModule.set(owner, (byModule.get(owner) ?? 0) + hits);
    const name = `${n.callFrame.functionName || '(anonymous)'}`;
    const where = n.callFrame.url ? `${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where} ${owner}`;
    const entry = byFn.get(key) ?? { where: `${owner}${where ? ' ' + where : ''}`, hits: 0 };
    entry.hits += hits;
    byFn.set(key, entry);
  }
  const share = (h: number) => (busy > 0 ? h / busy : 0);
  return {
    file,
    busySeconds: busy * secondsPerSample,
    byModule: [...byModule.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, h]) => ({ module, share: share(h) })),
    topFunctions: [...byFn.entries()]
      .sort((a, b) => b[1].hits - a[1].hits)
      .slice(0, top)
      .map(([key, v]) => ({ fn: key.split(' ')[0]!, where: v.where, share: share(v.hits) })),
  };
}

/** The newest .cpuprofile per service in `dir` (files are named CPU.<pid>.cpuprofile). */
export function profilesByService(dir: string, pids: Record<string, number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return out;
  }
  for (const [name, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    const f = files.find((x) => x.split('.').includes(String(pid)));
    if (f) out[name] = path.join(dir, f);
  }
  return out;
}
