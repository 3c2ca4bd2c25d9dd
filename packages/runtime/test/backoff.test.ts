import { retryWithBackoff } from '../src';

describe('retryWithBackoff', () => {
  it('retries until the call succeeds', async () => {
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`failure ${calls}`);
        return 'ok';
      },
      { initialMs: 1, maxMs: 2 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('ends a long wait as soon as its signal aborts, rethrowing the last error', async () => {
    const stop = new AbortController();
    let calls = 0;
    const started = Date.now();
    const attempt = retryWithBackoff(
      async () => {
        calls++;
        throw new Error(`failure ${calls}`);
      },
      { initialMs: 60_000, maxMs: 60_000, signal: stop.signal, onRetry: () => void setTimeout(() => stop.abort(), 20) },
    );
    await expect(attempt).rejects.toThrow('failure 1');
    expect(calls).toBe(1);
    // The wait was a minute; the abort came after ~20 ms.
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);

  it('does not wait when the signal aborts during onRetry', async () => {
    const stop = new AbortController();
    const started = Date.now();
    await expect(
      retryWithBackoff(
        async () => {
          throw new Error('down');
        },
        {
          initialMs: 60_000,
          signal: stop.signal,
          // As enrich's heartbeat: the stop comes while onRetry awaits.
          onRetry: async () => {
            await new Promise((r) => setTimeout(r, 10));
            stop.abort();
          },
        },
      ),
    ).rejects.toThrow('down');
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 10_000);

  it('does not wait at all once its signal is aborted', async () => {
    const stop = new AbortController();
    stop.abort();
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw new Error('down');
        },
        { initialMs: 60_000, signal: stop.signal },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  }, 10_000);
});
