/**
 * A progress writer for long commands: passes a line on at most once every `intervalMs` (the first at
 * once), dropping the ones in between, so a loop can report every step without flooding the terminal.
 */
export function atMostEvery<T>(intervalMs: number, write: (value: T) => void): (value: T) => void {
  let last: number | null = null;
  return (value) => {
    const now = Date.now();
    if (last !== null && now - last < intervalMs) return;
    last = now;
    write(value);
  };
}
