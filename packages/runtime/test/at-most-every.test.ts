import { atMostEvery } from '../src';

describe('atMostEvery: progress lines for long commands', () => {
  afterEach(() => jest.useRealTimers());

  it('passes the first line at once, then at most one an interval, dropping those between', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const written: string[] = [];
    const note = atMostEvery<string>(2_000, (line) => written.push(line));
    note('a');
    note('b');
    jest.advanceTimersByTime(1_999);
    note('c');
    jest.advanceTimersByTime(1);
    note('d');
    note('e');
    jest.advanceTimersByTime(5_000);
    note('f');
    expect(written).toEqual(['a', 'd', 'f']);
  });
});
