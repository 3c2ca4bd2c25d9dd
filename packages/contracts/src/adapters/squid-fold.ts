/**
 * Folding of proxy "activity" lines (assets, XHR, CONNECT tunnels, redirects; squid-meaning.ts):
 * such a line counts only when it is the first line with an event of its person × host × UTC minute
 * in the file; later ones are skipped as `proxy_folded`. A page line always counts and claims its
 * minute. The folded line's minute is the one its claimer already earned, so engaged minutes are
 * exactly those of the unfolded log; only the event count changes (docs/MEANING.md "Proxy logs").
 *
 * Memory stays bounded: claims are kept for the last `windowMinutes` minutes of log time (logs are
 * written in completion order, so lines are nearly sorted). A line older than the window is never
 * folded; that stays deterministic for a given file, and its event id (the minute key) still makes a
 * repeat of it a duplicate downstream.
 */
export class ProxyMinuteFolder {
  private readonly claims = new Map<number, Set<string>>();
  private latest = Number.NEGATIVE_INFINITY;

  constructor(private readonly windowMinutes = 10) {}

  /** Whether `key` already has an event in `minute` (epoch minute). */
  isClaimed(key: string, minute: number): boolean {
    return this.claims.get(minute)?.has(key) ?? false;
  }

  /** Records that `key` has an event in `minute`. */
  claim(key: string, minute: number): void {
    if (minute > this.latest) {
      this.latest = minute;
      for (const m of this.claims.keys()) if (m < minute - this.windowMinutes) this.claims.delete(m);
    }
    if (minute < this.latest - this.windowMinutes) return;
    let set = this.claims.get(minute);
    if (!set) {
      set = new Set();
      this.claims.set(minute, set);
    }
    set.add(key);
  }
}
