// The one list of due actions, with explicit clocks: precedence, and the deadline a wait sleeps to.
import { nextAction, type Situation } from '../../domain/nextAction';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const HOUR = 3600_000;

function situation(change: Partial<Situation> = {}): Situation {
  return {
    now: NOW,
    periodEnd: NOW + 10 * 24 * HOUR,
    subAccountCreditsDue: false,
    waitingPayment: null,
    paymentInFlight: false,
    balanceCheckDue: false,
    rechargeReadiness: { action: 'charge' },
    allocationsDue: [],
    continueAsNewSuggested: false,
    ...change,
  };
}

test('nothing due: wait until the period ends', () => {
  expect(nextAction(situation())).toEqual({ type: 'wait', until: NOW + 10 * 24 * HOUR });
  expect(nextAction(situation({ periodEnd: null }))).toEqual({ type: 'wait', until: null });
});

test('renewal comes first, at the period end', () => {
  expect(nextAction(situation({ periodEnd: NOW, balanceCheckDue: true, subAccountCreditsDue: true }))).toEqual({ type: 'renew' });
  expect(nextAction(situation({ periodEnd: NOW + 1 })).type).toBe('wait');
});

test('a possible balance change is checked only when a charge could start', () => {
  expect(nextAction(situation({ balanceCheckDue: true }))).toEqual({ type: 'checkBalance' });
  expect(nextAction(situation({ balanceCheckDue: true, rechargeReadiness: { action: 'none', reason: 'cap_reached' } })).type).toBe('wait');
});

test('a decline backoff: the check waits until the backoff ends, then is due', () => {
  const backoff = { action: 'wait_until', at: NOW + HOUR } as const;
  expect(nextAction(situation({ balanceCheckDue: true, rechargeReadiness: backoff }))).toEqual({ type: 'wait', until: NOW + HOUR });
  // Without a reason to check, the backoff is no deadline.
  expect(nextAction(situation({ rechargeReadiness: backoff }))).toEqual({ type: 'wait', until: NOW + 10 * 24 * HOUR });
});

test('a payment waiting for 3-D Secure is re-read when named by a webhook, at reconciliation or at expiry', () => {
  const waiting = { checkAfter: NOW + 5 * 60_000, expiresAt: NOW + 24 * HOUR, updated: false };
  expect(nextAction(situation({ paymentInFlight: true, waitingPayment: waiting }))).toEqual({ type: 'wait', until: NOW + 5 * 60_000 });
  expect(nextAction(situation({ paymentInFlight: true, waitingPayment: { ...waiting, updated: true } }))).toEqual({ type: 'checkPayment' });
  expect(nextAction(situation({ now: NOW + 5 * 60_000, paymentInFlight: true, waitingPayment: waiting }))).toEqual({ type: 'checkPayment' });
  expect(nextAction(situation({ paymentInFlight: true, waitingPayment: { ...waiting, checkAfter: NOW + 48 * HOUR } }))).toEqual({ type: 'wait', until: NOW + 24 * HOUR });
});

test('carried work is written before payments are checked', () => {
  const waiting = { checkAfter: NOW, expiresAt: NOW + HOUR, updated: true };
  expect(nextAction(situation({ subAccountCreditsDue: true, paymentInFlight: true, waitingPayment: waiting }))).toEqual({ type: 'creditSubAccounts' });
});

test('a monthly allocation runs when due, the earliest first, never beside a payment in flight', () => {
  const allocationsDue = [
    { subAccountId: 'b', nextRunAt: NOW - 1 },
    { subAccountId: 'a', nextRunAt: NOW - 1 },
    { subAccountId: 'c', nextRunAt: NOW + HOUR },
  ];
  expect(nextAction(situation({ allocationsDue }))).toEqual({ type: 'runAllocation', subAccountId: 'a' });
  expect(nextAction(situation({ allocationsDue, paymentInFlight: true }))).toEqual({ type: 'wait', until: NOW + 10 * 24 * HOUR });
  expect(nextAction(situation({ allocationsDue: [allocationsDue[2]] }))).toEqual({ type: 'wait', until: NOW + HOUR });
});

test('continue-as-new only when nothing else is due', () => {
  expect(nextAction(situation({ continueAsNewSuggested: true }))).toEqual({ type: 'continueAsNew' });
  expect(nextAction(situation({ continueAsNewSuggested: true, balanceCheckDue: true }))).toEqual({ type: 'checkBalance' });
});

test('a payment past its expiry that the provider would not cancel is next checked at reconciliation, not at once again', () => {
  const expired = { checkAfter: NOW + 5 * 60_000, expiresAt: NOW - 1, updated: false, cancelTried: true };
  expect(nextAction(situation({ paymentInFlight: true, waitingPayment: expired }))).toEqual({ type: 'wait', until: NOW + 5 * 60_000 });
  expect(nextAction(situation({ now: NOW + 5 * 60_000, paymentInFlight: true, waitingPayment: expired }))).toEqual({ type: 'checkPayment' });
  // Before the cancel was tried, expiry is due at once.
  expect(nextAction(situation({ paymentInFlight: true, waitingPayment: { ...expired, cancelTried: false } }))).toEqual({ type: 'checkPayment' });
});
