import { SingleBar } from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressReporter {
  update(bytes: number, lines: number, accepted: number, rejected: number): void;
  stop(bytes: number, lines: number, accepted: number, rejected: number): void;
}

const MB = 1024 * 1024;

/**
 * Import progress: a bar (bytes read of the file size, events/s) on a terminal; a plain line every
 * `intervalMs` when not a terminal (CI logs); nothing with `none`. Written to stderr, so stdout
 * keeps only the summary.
 */
export function createProgressReporter(opts: {
  mode: ProgressMode;
  totalBytes: number;
  intervalMs: number;
  stream: NodeJS.WriteStream;
  label: string;
}): ProgressReporter {
  const mode = opts.mode === 'auto' ? (opts.stream.isTTY ? 'bar' : 'lines') : opts.mode;
  const started = Date.now();
  const rate = (events: number) => {
    const s = (Date.now() - started) / 1000;
    return s > 0 ? Math.round(events / s) : 0;
  };
  if (mode === 'none') return { update() {}, stop() {} };

  if (mode === 'bar') {
    const bar = new SingleBar({
      stream: opts.stream,
      format: `${opts.label} [{bar}] {percentage}% | {mb}/{totalMb} MB | {lines} lines | {accepted} ok, {rejected} rejected | {rate} events/s | ETA {etaText}`,
      hideCursor: true,
      fps: 5,
    });
    bar.start(Math.max(opts.totalBytes, 1), 0, fields(0, 0, 0, 0, 0));
    return {
      update(bytes, lines, accepted, rejected) {
        bar.update(bytes, fields(bytes, lines, accepted, rejected, rate(accepted + rejected)));
      },
      stop(bytes, lines, accepted, rejected) {
        bar.update(Math.max(opts.totalBytes, 1), fields(bytes, lines, accepted, rejected, rate(accepted + rejected)));
        bar.stop();
      },
    };
  }

  let last = Date.now();
  const line = (bytes: number, lines: number, accepted: number, rejected: number) => {
    const pct = opts.totalBytes > 0 ? Math.floor((bytes / opts.totalBytes) * 100) : 100;
    opts.stream.write(
      `progress ${opts.label}: ${(bytes / MB).toFixed(1)}/${(opts.totalBytes / MB).toFixed(1)} MB (${pct}%), ` +
        `${lines} lines, ${accepted} accepted, ${rejected} rejected, ${rate(accepted + rejected)} events/s\n`,
    );
  };
  return {
    update(bytes, lines, accepted, rejected) {
      const now = Date.now();
      if (now - last < opts.intervalMs) return;
      last = now;
      line(bytes, lines, accepted, rejected);
    },
    stop(bytes, lines, accepted, rejected) {
      line(bytes, lines, accepted, rejected);
    },
  };

  function fields(bytes: number, lines: number, accepted: number, rejected: number, r: number) {
    const elapsed = (Date.now() - started) / 1000;
    const remaining = bytes > 0 && elapsed > 0 ? ((opts.totalBytes - bytes) * elapsed) / bytes : NaN;
    return {
      etaText: Number.isFinite(remaining) ? formatSeconds(remaining) : '?',
      mb: (bytes / MB).toFixed(1),
      totalMb: (opts.totalBytes / MB).toFixed(1),
      lines,
      accepted,
      rejected,
      rate: r,
    };
  }
}

function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
