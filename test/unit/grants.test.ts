// The spend order of credit grants (priority, then soonest expiry, then creation) and the split of a
// debit across them; record_usage follows the same order (test/store/debitSplit.test.ts).
import { grantStatus, spendOrder, splitAcrossGrants, type SpendableGrant } from '../../domain/grants';
import { allowance, NEW_AGENT } from '../../domain/agents';
import { splitDebit } from '../../domain/pools';

const grant = (id: string, priority: number, expiresAt: string | null, seq: number, remaining = 10): SpendableGrant => ({ id, priority, expiresAt, seq, remaining });
const order = (grants: SpendableGrant[]) => [...grants].sort(spendOrder).map((g) => g.id);

test('a lower priority is spent first, whatever the expiry', () => {
  expect(order([grant('a', 60, '2026-01-01T00:00:00Z', 0), grant('b', 10, null, 1)])).toEqual(['b', 'a']);
});

test('equal priority: the soonest expiry first, no expiry last', () => {
  expect(order([grant('never', 50, null, 0), grant('late', 50, '2027-06-01T00:00:00Z', 1), grant('soon', 50, '2027-01-01T00:00:00Z', 2)])).toEqual(['soon', 'late', 'never']);
});

test('equal priority and expiry (the same instant written two ways): creation order', () => {
  expect(order([grant('second', 50, '2027-01-01T00:00:00.000Z', 2), grant('first', 50, '2027-01-01T01:00:00+01:00', 1)])).toEqual(['first', 'second']);
});

test('no expiry on either: creation order', () => {
  expect(order([grant('b', 50, null, 9), grant('a', 50, null, 3)])).toEqual(['a', 'b']);
});

test('a debit across grants takes each in order as far as it lasts; what is left is the wallet’s', () => {
  const grants = [grant('b', 50, null, 1, 5), grant('a', 10, null, 0, 3), grant('empty', 0, null, 2, 0)];
  expect(splitAcrossGrants(grants, 6)).toEqual([{ grantId: 'a', credits: 3 }, { grantId: 'b', credits: 3 }]);
  expect(splitAcrossGrants(grants, 20)).toEqual([{ grantId: 'a', credits: 3 }, { grantId: 'b', credits: 5 }]);
  expect(splitAcrossGrants(grants, 0)).toEqual([]);
});

test('the pools: plan, then grants, then the wallet (which may go negative)', () => {
  expect(splitDebit({ planRemaining: 5, grants: 10, wallet: 3 }, 30)).toEqual({ plan: 5, grants: 10, wallet: 15 });
  expect(splitDebit({ planRemaining: 5, grants: 10, wallet: 3 }, 12)).toEqual({ plan: 5, grants: 7, wallet: 0 });
  // An agent at its limit: no plan credits, grants like the wallet.
  expect(splitDebit({ planRemaining: 100, grants: 10, wallet: 3 }, 12, 0)).toEqual({ plan: 0, grants: 10, wallet: 2 });
});

test('status: voided over expired over active; past its expiry is expired before the sweep marks it', () => {
  const now = Date.parse('2027-01-01T00:00:00Z');
  expect(grantStatus({ voidedAt: '2026-12-01T00:00:00Z', expiredAt: null, expiresAt: '2026-12-15T00:00:00Z' }, now)).toBe('voided');
  expect(grantStatus({ voidedAt: null, expiredAt: null, expiresAt: '2026-12-15T00:00:00Z' }, now)).toBe('expired');
  expect(grantStatus({ voidedAt: null, expiredAt: null, expiresAt: '2027-02-01T00:00:00Z' }, now)).toBe('active');
  expect(grantStatus({ voidedAt: null, expiredAt: null, expiresAt: null }, now)).toBe('active');
});

test('the allowance treats grants like the wallet: use_balance agents go on while grants remain, stop agents do not', () => {
  const useBalance = { ...NEW_AGENT };
  const stop = { ...NEW_AGENT, whenPlanExhausted: 'stop' as const };
  const pools = { planRemaining: 0, grants: 10, wallet: -50 };
  expect(allowance(useBalance, pools, true)).toEqual({ allowed: true, reason: null });
  expect(allowance(stop, pools, true)).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(allowance(useBalance, { ...pools, grants: 0 }, true)).toEqual({ allowed: false, reason: 'insufficient_balance' });
  // An agent at its monthly limit spends grants too.
  expect(allowance({ ...useBalance, monthlyLimitCredits: 5, spentThisMonth: 5 }, { ...pools, planRemaining: 100 }, true)).toEqual({ allowed: true, reason: null });
});
