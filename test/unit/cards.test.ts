import { cardLabel, cardName, expiringThrough, expiryInFuture, isExpiring } from '../../domain/cards';

const at = (iso: string) => new Date(iso);

test('a card is named as a person reads it', () => {
  const visa = { id: 'pm_1', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 };
  expect(cardLabel(visa)).toBe('Visa •••• 4242, expires 12/2030');
  expect(cardLabel({ ...visa, brand: 'mastercard', last4: '4444', expMonth: 3 })).toBe('Mastercard •••• 4444, expires 03/2030');
  expect(cardName({ id: 'pm_unknown', brand: null, last4: null, expMonth: null, expYear: null })).toBe('pm_unknown');
  expect(cardLabel({ id: 'pm_unknown', brand: null, last4: null, expMonth: null, expYear: null })).toBe('pm_unknown');
});

test('expiring: in or before next month (UTC), across the year end', () => {
  expect(expiringThrough(at('2026-05-31T23:59:59Z'))).toEqual({ year: 2026, month: 6 });
  expect(expiringThrough(at('2026-11-15T00:00:00Z'))).toEqual({ year: 2026, month: 12 });
  expect(expiringThrough(at('2026-12-01T00:00:00Z'))).toEqual({ year: 2027, month: 1 });
  const now = at('2026-12-10T00:00:00Z');
  expect(isExpiring({ expMonth: 1, expYear: 2027 }, now)).toBe(true);
  expect(isExpiring({ expMonth: 12, expYear: 2026 }, now)).toBe(true);
  expect(isExpiring({ expMonth: 3, expYear: 2025 }, now)).toBe(true);
  expect(isExpiring({ expMonth: 2, expYear: 2027 }, now)).toBe(false);
  expect(isExpiring({ expMonth: null, expYear: null }, now)).toBe(false);
});

test('a typed expiry is valid through the end of its month', () => {
  const now = at('2026-12-31T23:00:00Z');
  expect(expiryInFuture(12, 2026, now)).toBe(true);
  expect(expiryInFuture(11, 2026, now)).toBe(false);
  expect(expiryInFuture(1, 2027, now)).toBe(true);
});
