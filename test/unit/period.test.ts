import { addMonths, nextPeriodEndAfter } from '../../domain/period';

const addOneMonth = (ms: number) => addMonths(ms, 1);

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('addMonths by one', () => {
  it.each`
    from                          | to                            | case
    ${'2025-01-15T09:30:00.000Z'} | ${'2025-02-15T09:30:00.000Z'} | ${'same day next month'}
    ${'2025-01-31T10:20:30.456Z'} | ${'2025-02-28T10:20:30.456Z'} | ${'Jan 31 clamps to Feb 28'}
    ${'2024-01-31T10:20:30.456Z'} | ${'2024-02-29T10:20:30.456Z'} | ${'Jan 31 clamps to Feb 29 in a leap year'}
    ${'2025-01-29T00:00:00.000Z'} | ${'2025-02-28T00:00:00.000Z'} | ${'Jan 29 clamps to Feb 28'}
    ${'2024-01-29T00:00:00.000Z'} | ${'2024-02-29T00:00:00.000Z'} | ${'Jan 29 fits Feb 29 in a leap year'}
    ${'2025-03-31T23:59:59.999Z'} | ${'2025-04-30T23:59:59.999Z'} | ${'Mar 31 clamps to Apr 30'}
    ${'2025-02-28T12:00:00.000Z'} | ${'2025-03-28T12:00:00.000Z'} | ${'Feb 28 to Mar 28'}
    ${'2025-12-31T23:59:59.999Z'} | ${'2026-01-31T23:59:59.999Z'} | ${'December rolls into the next year'}
    ${'2025-12-01T00:00:00.000Z'} | ${'2026-01-01T00:00:00.000Z'} | ${'first of December'}
  `('$case', ({ from, to }) => {
    expect(iso(addOneMonth(t(from)))).toBe(to);
  });
});

describe('nextPeriodEndAfter', () => {
  const end = t('2025-01-15T08:00:00.000Z');

  it.each`
    now                           | next                          | case
    ${'2025-01-15T08:00:00.000Z'} | ${'2025-02-15T08:00:00.000Z'} | ${'now at the period end: one month on'}
    ${'2025-01-20T00:00:00.000Z'} | ${'2025-02-15T08:00:00.000Z'} | ${'a few days late: one month on'}
    ${'2025-02-15T07:59:59.999Z'} | ${'2025-02-15T08:00:00.000Z'} | ${'just before the next end'}
    ${'2025-02-15T08:00:00.000Z'} | ${'2025-03-15T08:00:00.000Z'} | ${'exactly on the next end: strictly after now'}
    ${'2025-04-20T00:00:00.000Z'} | ${'2025-05-15T08:00:00.000Z'} | ${'several months missed'}
    ${'2026-01-16T00:00:00.000Z'} | ${'2026-02-15T08:00:00.000Z'} | ${'over a year missed'}
  `('$case', ({ now, next }) => {
    expect(iso(nextPeriodEndAfter(end, t(now)))).toBe(next);
  });

  it('returns a time after now, less than one month after it, keeping the time of day', () => {
    for (const now of ['2025-01-16T00:00:00.000Z', '2025-03-01T00:00:00.000Z', '2025-07-15T08:00:00.000Z', '2025-11-30T23:00:00.000Z']) {
      const next = nextPeriodEndAfter(end, t(now));
      expect(next).toBeGreaterThan(t(now));
      expect(next).toBeLessThanOrEqual(addOneMonth(t(now)));
      expect(iso(next).slice(10)).toBe('T08:00:00.000Z');
      expect(new Date(next).getUTCDate()).toBe(15);
    }
  });
});

describe('the anchor day survives short months', () => {
  const anchor = t('2025-01-31T00:00:00.000Z');

  it.each`
    now                           | next
    ${'2025-02-01T00:00:00.000Z'} | ${'2025-02-28T00:00:00.000Z'}
    ${'2025-02-28T00:00:00.000Z'} | ${'2025-03-31T00:00:00.000Z'}
    ${'2025-03-31T00:00:00.000Z'} | ${'2025-04-30T00:00:00.000Z'}
    ${'2025-04-30T00:00:00.000Z'} | ${'2025-05-31T00:00:00.000Z'}
    ${'2025-03-30T00:00:00.000Z'} | ${'2025-03-31T00:00:00.000Z'}
  `('after $now the period ends $next', ({ now, next }) => {
    expect(iso(nextPeriodEndAfter(anchor, t(now)))).toBe(next);
  });

  it('adds whole months from the anchor, across years', () => {
    expect(iso(addMonths(anchor, 13))).toBe('2026-02-28T00:00:00.000Z');
    expect(iso(addMonths(anchor, 14))).toBe('2026-03-31T00:00:00.000Z');
  });
});
