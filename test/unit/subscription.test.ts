// The bounds every subscription is held to, whoever sets it (the API, a provider event, a direct update).
import { MAX_CREDITS, subscriptionRefusal, type Subscription } from '../../domain/subscription';

const valid: Subscription = { status: 'active', planCredits: 1000, currentPeriodEnd: '2031-01-15T00:00:00Z' };

test('a subscription within the bounds is taken', () => {
  expect(subscriptionRefusal(valid)).toBeNull();
  expect(subscriptionRefusal({ ...valid, planCredits: 0 })).toBeNull();
  expect(subscriptionRefusal({ ...valid, planCredits: MAX_CREDITS })).toBeNull();
  expect(subscriptionRefusal({ ...valid, status: 'canceled', currentPeriodEnd: '9999-12-31T23:59:59Z' })).toBeNull();
});

test.each([
  ['plan credits above the bound', { planCredits: MAX_CREDITS + 1 }, /planCredits/],
  ['plan credits above 2^53', { planCredits: 2 ** 60 }, /planCredits/],
  ['fractional plan credits', { planCredits: 1.5 }, /planCredits/],
  ['negative plan credits', { planCredits: -5 }, /planCredits/],
  ['plan credits that are text', { planCredits: '100' }, /planCredits/],
  ['NaN plan credits', { planCredits: NaN }, /planCredits/],
  ['an unknown status', { status: 'paused' }, /status/],
  ['a period end that is no date', { currentPeriodEnd: 'soon' }, /currentPeriodEnd/],
  ['a period end after the year 9999', { currentPeriodEnd: '9999-12-31T23:00:00-05:00' }, /currentPeriodEnd/],
  ['a period end that is a number', { currentPeriodEnd: 1_800_000_000_000 }, /currentPeriodEnd/],
])('%s is refused', (_name, change, reason) => {
  expect(subscriptionRefusal({ ...valid, ...change } as unknown as Subscription)).toMatch(reason);
});
