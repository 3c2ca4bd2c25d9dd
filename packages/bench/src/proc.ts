import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream kernel). */
const CLK_TCK = 100;

/** CPU seconds (user + system) a process has used so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Current and peak resident memory (VmRSS, VmHWM) in bytes, or null when the process is gone. */
export function memory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return null;
  }
}

/** Whole-machine CPU time in seconds (busy = everything but idle and iowait; steal counted as busy). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return [a, b, c];
}

/** Process ids of the local stack (infra/local/stack writes .local/<svc>/<svc>.pid). */
export function stackPids(repoRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const svc of ['kafka', 'clickhouse', 'redis']) {
    const file = path.join(repoRoot, '.local', svc, `${svc}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && cpuSeconds(pid) !== null) out[svc] = pid;
  }
  return out;
}

export interface CpuSnapshot {
  at: number;
  /** CPU seconds per named process (null: not running at the time). */
  procs: Record<string, number | null>;
  machine: { busy: number; total: number };
}

/** What happened between two snapshots: CPU seconds per process, wall seconds and machine busy cores. */
export interface CpuWindow {
  wallSeconds: number;
  cpuSeconds: Record<string, number>;
  /** Average cores in use per process over the window. */
  cores: Record<string, number>;
  machineBusyCores: number;
  /** Busy cores not accounted for by the named processes: other engineers' tests, the kernel, … */
  otherBusyCores: number;
}

/**
 * Samples named processes: CPU time on demand (snapshots around a phase), resident memory every
 * `intervalMs` (peak VmRSS seen, and VmHWM as the kernel's own peak).
 */
export class ProcessSampler {
  readonly peakRss: Record<string, number> = {};
  readonly hwm: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly procs: () => Record<string, number | undefined>) {}

  start(intervalMs = 1000): void {
    this.sampleMemory();
    this.timer = setInterval(() => this.sampleMemory(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sampleMemory();
  }

  sampleMemory(): void {
    for (const [name, pid] of Object.entries(this.procs())) {
      if (pid === undefined) continue;
      const m = name === 'bench' ? { rss: process.memoryUsage().rss, hwm: NaN } : memory(pid);
      if (!m) continue;
      this.peakRss[name] = Math.max(this.peakRss[name] ?? 0, m.rss);
      if (Number.isFinite(m.hwm)) this.hwm[name] = Math.max(this.hwm[name] ?? 0, m.hwm);
    }
  }

  snapshot(): CpuSnapshot {
    const procs: Record<string, number | null> = {};
    for (const [name, pid] of Object.entries(this.procs())) {
      if (pid === undefined) continue;
      if (name === 'bench') {
        const u = process.cpuUsage();
        procs[name] = (u.user + u.system) / 1e6;
      } else procs[name] = cpuSeconds(pid);
    }
    return { at: Date.now(), procs, machine: machineCpu() };
  }
}

export function cpuWindow(from: CpuSnapshot, to: CpuSnapshot): CpuWindow {
  const wallSeconds = (to.at - from.at) / 1000;
  const cpu: Record<string, number> = {};
  const cores: Record<string, number> = {};
  let ours = 0;
  for (const [name, end] of Object.entries(to.procs)) {
    const start = from.procs[name];
    if (end === null || start === null || start === undefined) continue;
    cpu[name] = end - start;
    cores[name] = wallSeconds > 0 ? (end - start) / wallSeconds : 0;
    ours += end - start;
  }
  const machineBusy = to.machine.busy - from.machine.busy;
  return {
    wallSeconds,
    cpuSeconds: cpu,
    cores,
    machineBusyCores: wallSeconds > 0 ? machineBusy / wallSeconds : 0,
    otherBusyCores: wallSeconds > 0 ? Math.max(0, machineBusy - ours) / wallSeconds : 0,
  };
}

/** Runs one phase between two CPU snapshots: its value and what each process used meanwhile. */
export async function timedPhase<T>(
  sampler: ProcessSampler,
  fn: () => Promise<T>,
): Promise<{ value: T; cpu: CpuWindow }> {
  const from = sampler.snapshot();
  const value = await fn();
  return { value, cpu: cpuWindow(from, sampler.snapshot()) };
}

/** CPU seconds per process per 10 000 events. */
export function perTenK(w: CpuWindow, events: number): Record<string, number> {
  return Object.fromEntries(Object.entries(w.cpuSeconds).map(([k, v]) => [k, (v / events) * 10_000]));
}

/** Two consecutive windows as one (a phase and the settling after it). */
export function joinWindows(a: CpuWindow, b: CpuWindow): CpuWindow {
  const wallSeconds = a.wallSeconds + b.wallSeconds;
  const cpuSeconds: Record<string, number> = {};
  for (const name of new Set([...Object.keys(a.cpuSeconds), ...Object.keys(b.cpuSeconds)]))
    cpuSeconds[name] = (a.cpuSeconds[name] ?? 0) + (b.cpuSeconds[name] ?? 0);
  const weighted = (x: number, y: number) =>
    wallSeconds > 0 ? (x * a.wallSeconds + y * b.wallSeconds) / wallSeconds : 0;
  return {
    wallSeconds,
    cpuSeconds,
    cores: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, wallSeconds > 0 ? v / wallSeconds : 0])),
    machineBusyCores: weighted(a.machineBusyCores, b.machineBusyCores),
    otherBusyCores: weighted(a.otherBusyCores, b.otherBusyCores),
  };
}
