// The rules that bound refunds and disputes, the list's statuses and the receipt's wording.
import {
  disputeOutcome,
  paymentStatus,
  receiptLine,
  receiptNumber,
  refundableCredits,
  refundCentsFor,
  refundCreditsFor,
  refundRefusal,
  type PaymentMoney,
} from '../../domain/paymentRecords';

const money = (change: Partial<PaymentMoney> = {}): PaymentMoney => ({
  credits: 2000,
  amountCents: 4000,
  pricePer1000CreditsCents: 2000,
  refundedCents: 0,
  refundedCredits: 0,
  disputeId: null,
  disputeStatus: null,
  disputedCredits: 0,
  ...change,
});

test("a refund's cents are ceil(credits × price / 1000), and the last refund takes every cent left", () => {
  const odd = money({ credits: 3, amountCents: 6, pricePer1000CreditsCents: 1999 });
  expect(refundCentsFor(odd, 1)).toBe(2); // ceil(1.999)
  expect(refundCentsFor({ ...odd, refundedCredits: 2, refundedCents: 4 }, 1)).toBe(2);
  expect(refundCentsFor({ ...odd, refundedCredits: 1, refundedCents: 2 }, 2)).toBe(4);
  expect(refundCentsFor(money(), 501)).toBe(1002);
  expect(refundCentsFor(money({ refundedCredits: 501, refundedCents: 1002 }), 1499)).toBe(2998);
});

test("a dashboard refund takes the credits its cents bought, all of them once the whole amount is back, never more than are left", () => {
  expect(refundCreditsFor(money(), 1000, null)).toBe(500);
  expect(refundCreditsFor(money(), 999, null)).toBe(499);
  expect(refundCreditsFor(money({ refundedCents: 3000, refundedCredits: 1500 }), 1000, null)).toBe(500);
  expect(refundCreditsFor(money(), 4000, 123)).toBe(123); // our own refunds name their credits
  expect(refundCreditsFor(money({ refundedCredits: 1900 }), 4000, 500)).toBe(100);
  expect(refundCreditsFor(money({ disputedCredits: 2000 }), 1000, null)).toBe(0);
});

test('refunds are refused past the remainder, on a disputed payment and on one that did not succeed', () => {
  const paid = { ...money(), status: 'succeeded' as const, paymentIntentId: 'pi_1' };
  expect(refundRefusal(paid, 2000)).toBeNull();
  expect(refundRefusal(paid, 2001)?.code).toBe('refund_exceeds_remaining');
  expect(refundRefusal({ ...paid, refundedCredits: 2000, refundedCents: 4000 }, undefined)?.code).toBe('payment_fully_refunded');
  expect(refundRefusal({ ...paid, disputeId: 'dp', disputeStatus: 'open', disputedCredits: 2000 }, 1)?.code).toBe('payment_disputed');
  expect(refundRefusal({ ...paid, status: 'failed' }, 1)?.code).toBe('payment_not_refundable');
});

test('a dispute takes what refunds left, gives it back when won, and each status applies once in any order', () => {
  const partly = money({ refundedCredits: 500, refundedCents: 1000 });
  const opened = disputeOutcome(partly, 'dp', 'open')!;
  expect(opened).toEqual({ credits: -1500, next: { disputeId: 'dp', disputeStatus: 'open', disputedCredits: 1500 } });
  const open = { ...partly, ...opened.next };
  expect(refundableCredits(open)).toBe(0);
  expect(disputeOutcome(open, 'dp', 'open')).toBeNull();
  expect(disputeOutcome(open, 'dp_other', 'won')).toBeNull();
  expect(disputeOutcome(open, 'dp', 'won')).toEqual({ credits: 1500, next: { disputeId: 'dp', disputeStatus: 'won', disputedCredits: 0 } });
  expect(disputeOutcome(open, 'dp', 'lost')).toEqual({ credits: 0, next: { disputeId: 'dp', disputeStatus: 'lost', disputedCredits: 1500 } });
  // Closed first: won moves nothing, lost takes the credits; the late opening then changes nothing.
  const wonFirst = disputeOutcome(money(), 'dp', 'won')!;
  expect(wonFirst.credits).toBe(0);
  expect(disputeOutcome({ ...money(), ...wonFirst.next }, 'dp', 'open')).toBeNull();
  const lostFirst = disputeOutcome(money(), 'dp', 'lost')!;
  expect(lostFirst.credits).toBe(-2000);
  expect(disputeOutcome({ ...money(), ...lostFirst.next }, 'dp', 'open')).toBeNull();
});

test('the listed status follows refunds and disputes', () => {
  const p = { status: 'succeeded' as const, credits: 2000, amountCents: 4000, refundedCents: 0, refundedCredits: 0, disputeStatus: null };
  expect(paymentStatus(p)).toBe('succeeded');
  expect(paymentStatus({ ...p, refundedCents: 1, refundedCredits: 0 })).toBe('partially_refunded');
  expect(paymentStatus({ ...p, refundedCents: 4000, refundedCredits: 2000 })).toBe('refunded');
  expect(paymentStatus({ ...p, disputeStatus: 'open' })).toBe('disputed');
  expect(paymentStatus({ ...p, disputeStatus: 'lost' })).toBe('disputed');
  expect(paymentStatus({ ...p, disputeStatus: 'won' })).toBe('succeeded');
  expect(paymentStatus({ ...p, status: 'requires_action' })).toBe('requires_action');
});

test('receipt numbers and the receipt line', () => {
  expect(receiptNumber('acme', 1)).toBe('ACME-0001');
  expect(receiptNumber('dental-1.eu', 12345)).toBe('DENTAL1EU-12345');
  expect(receiptNumber('---', 2)).toBe('ORG-0002');
  expect(receiptLine({ credits: 2000, pricePer1000CreditsCents: 2000 })).toBe('2,000 credits at $20.00 per 1,000 credits');
});
