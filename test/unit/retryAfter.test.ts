// A webhook endpoint's Retry-After: delta-seconds or an HTTP-date, at most 24 hours; anything else is ignored.
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../../notifications/sendWebhook';

const now = Date.parse('2026-12-04T12:00:00Z');

test('delta-seconds and HTTP-dates are honoured', () => {
  expect(retryAfterMs('120', now)).toBe(120_000);
  expect(retryAfterMs(' 0 ', now)).toBe(0);
  expect(retryAfterMs('Fri, 04 Dec 2026 12:05:00 GMT', now)).toBe(300_000);
  expect(retryAfterMs('Friday, 04-Dec-26 12:01:00 GMT', now)).toBe(60_000);
  expect(retryAfterMs('Fri Dec  4 12:00:30 2026', now)).toBe(30_000);
  // A date already past means now.
  expect(retryAfterMs('Thu, 03 Dec 2026 12:00:00 GMT', now)).toBe(0);
});

test('a wait beyond 24 hours is clamped to 24 hours', () => {
  expect(MAX_RETRY_AFTER_MS).toBe(86_400_000);
  for (const header of ['86401', '99999999999999', '9'.repeat(400), 'Fri, 31 Dec 9999 23:59:59 GMT']) expect(retryAfterMs(header, now)).toBe(MAX_RETRY_AFTER_MS);
});

test('anything else is ignored', () => {
  for (const header of [undefined, '', '1e300', '1.5', '-5', '0x10', 'Infinity', '2026-12-05', 'soon', 'Fri, 99 Foo 2026 GMT']) expect(retryAfterMs(header, now)).toBeNull();
});
