// Payments end to end with the sandbox: a top-up listed with its card and receipt (HTML and PDF),
// an operator's refund, a dispute and its won close, refunds made in the provider's dashboard and
// provider events delivered twice and out of order; the ledger sums equal the balances after each
// step, and bad input changes nothing.
import { signPayload } from '../../api/stripeEvents';
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, summary } from '../helpers/billing';
import { pdfText } from '../helpers/pdfText';
import { startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ RECEIPT_SELLER_NAME: 'Credits Billing Inc.', RECEIPT_SELLER_ADDRESS: '1 Market St\\nSan Francisco, CA' });
});
afterAll(() => stack.stop());

const ops = () => stack.token('ops');

async function topUp(orgId: string, credits: number, key = `k-${credits}-${Date.now()}`) {
  const body = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits }, { 'idempotency-key': key }), 201);
  return body.topUp.id as string;
}

async function payment(orgId: string, id: string) {
  const { payments } = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/payments?limit=500`, ops()), 200);
  return payments.find((p: { id: string }) => p.id === id);
}

async function ledgerOf(orgId: string, kind: string) {
  const { rows } = await stack.db.query('SELECT credits::int, ref FROM ledger_entries WHERE org_id = $1 AND kind = $2 ORDER BY id', [orgId, kind]);
  return rows as Array<{ credits: number; ref: string }>;
}

/** Delivers a signed event in Stripe's shape, as Stripe would (the same id again is a redelivery). */
async function deliver(id: string, type: string, object: Record<string, unknown>) {
  const payload = JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });
  const res = await fetch(`${stack.api.url}/v1/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, stack.settings.stripe.webhookSecret) },
    body: payload,
  });
  return { status: res.status, body: await res.json() };
}

async function fetchReceipt(url: string, accept: string) {
  const res = await fetch(url, { headers: { accept } });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

test('a top-up is a payment with its card and a receipt, in HTML and in PDF', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const first = await topUp(orgId, 2000);
  const second = await topUp(orgId, 500);
  const listed = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/payments`, stack.token('member', orgId)), 200);
  expect(listed.payments.map((p: { id: string }) => p.id)).toEqual([second, first]);
  const p = listed.payments[1];
  expect(p).toEqual({
    id: first,
    paymentIntentId: expect.stringMatching(/^pi_sandbox_/),
    kind: 'top_up',
    credits: 2000,
    amountCents: 4000,
    currency: 'usd',
    status: 'succeeded',
    card: { brand: 'visa', last4: '4242' },
    createdAt: expect.any(String),
    settledAt: expect.any(String),
    refundedCents: 0,
    disputed: false,
    receiptNumber: `${orgId.toUpperCase().replace(/[^A-Z0-9]/g, '')}-0001`,
    receiptUrl: expect.stringContaining(`/receipts/${orgId}/${first}/`),
    failureMessage: null,
  });
  expect(listed.payments[0].receiptNumber).toMatch(/-0002$/);

  const one = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/payments?limit=1`, ops()), 200);
  expect(one.payments.map((x: { id: string }) => x.id)).toEqual([second]);
  const next = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/payments?limit=1&cursor=${one.nextCursor}`, ops()), 200);
  expect(next).toMatchObject({ payments: [{ id: first }], nextCursor: null });
  expect((await expectStatus(stack.http.get(`/v1/orgs/${orgId}/payments?kind=auto_recharge`, ops()), 200)).payments).toEqual([]);

  const path = `/v1/orgs/${orgId}/payments/${first}/receipt`;
  const html = await fetch(`${stack.api.url}${path}`, { headers: { authorization: `Bearer ${stack.token('owner', orgId)}` } });
  expect(html.status).toBe(200);
  expect(html.headers.get('content-type')).toMatch(/^text\/html/);
  const page = await html.text();
  for (const part of ['Credits Billing Inc.', 'San Francisco, CA', `Org ${orgId}`, p.receiptNumber, first, '2,000 credits at $20.00 per 1,000 credits', '$40.00', 'Visa •••• 4242']) {
    expect(page).toContain(part);
  }

  const pdf = await fetchReceipt(p.receiptUrl, 'application/pdf');
  expect(pdf.status).toBe(200);
  expect(pdf.type).toBe('application/pdf');
  const text = await pdfText(pdf.body);
  for (const part of ['Credits Billing Inc.', 'San Francisco, CA', p.receiptNumber, first, '2,000 credits at $20.00 per 1,000 credits', '$40.00', '4242']) expect(text).toContain(part);

  // The shareable link is for this receipt only.
  expect((await fetchReceipt(p.receiptUrl.replace(first, second), 'text/html')).status).toBe(404);
  expect((await fetchReceipt(p.receiptUrl.slice(0, -4) + 'AAAA', 'text/html')).status).toBe(404);

  const csv = await fetch(`${stack.api.url}/v1/orgs/${orgId}/ledger`, { headers: { authorization: `Bearer ${ops()}`, accept: 'text/csv' } });
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  const lines = (await csv.text()).trim().split('\n');
  expect(lines[0]).toBe('id,orgId,at,kind,pool,credits,ref,grantId');
  expect(lines.slice(1).map((l) => l.split(',').slice(3).join(','))).toEqual([`top_up,wallet,500,${second},`, `top_up,wallet,2000,${first},`]);
});

test("an operator's refund takes the credits back at the payment's price, never more than is left", async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const other = await createOrg(stack, { planCredits: 0 });
  const paid = await topUp(orgId, 2000);
  const refunds = `/v1/orgs/${orgId}/payments/${paid}/refunds`;

  const partial = await expectStatus(stack.http.post(refunds, ops(), { credits: 501 }), 201);
  expect(partial.refund).toEqual({ id: expect.stringMatching(/^re_sandbox_/), paymentId: paid, credits: 501, amountCents: 1002 });
  expect(partial.payment).toMatchObject({ status: 'partially_refunded', refundedCents: 1002 });
  expect(await ledgerOf(orgId, 'refund')).toEqual([{ credits: -501, ref: partial.refund.id }]);
  expect((await expectLedgerMatches(stack, orgId)).topUpCredits).toBe(1499);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'payment.refunded')).toEqual([
    expect.objectContaining({ data: expect.objectContaining({ paymentId: paid, refundId: partial.refund.id, credits: -501, amountCents: 1002 }) }),
  ]);

  // Bad input changes nothing.
  expectError(await stack.http.post(refunds, ops(), { credits: 1500 }), 409, 'refund_exceeds_remaining');
  expectError(await stack.http.post(`/v1/orgs/${orgId}/payments/pay_unknown_1/refunds`, ops(), {}), 404, 'payment_not_found');
  expectError(await stack.http.post(`/v1/orgs/${other}/payments/${paid}/refunds`, ops(), {}), 404, 'payment_not_found');
  expectError(await stack.http.post(refunds, ops(), { credits: 0 }), 422, 'validation_failed');
  expectError(await stack.http.post(refunds, stack.token('owner', orgId), {}), 403, 'forbidden');
  expect(await ledgerOf(orgId, 'refund')).toHaveLength(1);

  // The rest: every credit and every cent left (1,499 credits, $29.98).
  const rest = await expectStatus(stack.http.post(refunds, ops(), {}), 201);
  expect(rest.refund).toMatchObject({ credits: 1499, amountCents: 2998 });
  expect(rest.payment).toMatchObject({ status: 'refunded', refundedCents: 4000 });
  expectError(await stack.http.post(refunds, ops(), {}), 409, 'payment_fully_refunded');
  expect((await expectLedgerMatches(stack, orgId)).topUpCredits).toBe(0);

  const receipt = await fetchReceipt(rest.payment.receiptUrl, 'text/html');
  expect(receipt.body.toString()).toContain('refunded $10.02 (501 credits)');
  expect(receipt.body.toString()).toContain('net paid $0.00');
});

test('a dispute takes the credits and turns auto-recharge off; won, it gives them back and auto-recharge stays off', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, autoRecharge: { thresholdCredits: 0, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
  const paid = await topUp(orgId, 1000);
  const intent = (await payment(orgId, paid)).paymentIntentId;
  // Usage already spent stays spent: the wallet may go negative.
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events: [{ id: 'u1', agentId: 'a', meter: 'message', quantity: 300 }] }), 202);

  const opened = await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent}/dispute`, ops(), {}), 201);
  expect(opened.webhookDelivered).toBe(true);
  expect(await payment(orgId, paid)).toMatchObject({ status: 'disputed', disputed: true });
  expect(await ledgerOf(orgId, 'dispute')).toEqual([{ credits: -1000, ref: opened.dispute.id }]);
  const during = await expectLedgerMatches(stack, orgId);
  expect(during.topUpCredits).toBe(-300);
  expect(during.autoRecharge).toMatchObject({ enabled: false, disabledReason: 'A payment was disputed. Auto-recharge is off until the dispute is resolved.' });
  const types = (await eventsOf(stack, orgId)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['payment.disputed', 'auto_recharge.disabled', 'balance.low']));
  // Operators find it apart from card failures.
  const listed = await expectStatus(stack.http.get<{ orgs: Array<{ id: string }> }>('/v1/orgs?autoRecharge=disabled_after_dispute&limit=500', ops()), 200);
  expect(listed.orgs.map((o) => o.id)).toContain(orgId);
  // A disputed payment is not refunded by hand.
  expectError(await stack.http.post(`/v1/orgs/${orgId}/payments/${paid}/refunds`, ops(), {}), 409, 'payment_disputed');

  const closed = await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent}/dispute/close`, ops(), { status: 'won' }), 200);
  expect(closed.webhookDelivered).toBe(true);
  expect(await ledgerOf(orgId, 'dispute_reversal')).toEqual([{ credits: 1000, ref: opened.dispute.id }]);
  expect(await payment(orgId, paid)).toMatchObject({ status: 'succeeded', disputed: false });
  const after = await expectLedgerMatches(stack, orgId);
  expect(after.topUpCredits).toBe(700);
  expect(after.autoRecharge.enabled).toBe(false);
  expectError(await stack.http.post(`/v1/sandbox/payment-intents/${intent}/dispute/close`, ops(), { status: 'lost' }), 409, 'dispute_not_open');
});

test("refunds made in the provider's dashboard apply once, whatever the order or repetition of their events", async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const paid = await topUp(orgId, 2000);
  const intent = (await payment(orgId, paid)).paymentIntentId;

  // The sandbox sends charge.refunded (with the refunds list) and refund.updated: the refund twice.
  const first = await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent}/refund`, ops(), { amountCents: 1000 }), 201);
  expect(first.webhookDelivered).toBe(true);
  expect(await ledgerOf(orgId, 'refund')).toEqual([{ credits: -500, ref: first.refund.id }]);
  await expectLedgerMatches(stack, orgId);

  // A second refund's refund.updated arrives before its charge.refunded, then both are redelivered.
  const refund2 = { id: 're_fixture_2', object: 'refund', amount: 600, currency: 'usd', payment_intent: intent, status: 'succeeded', metadata: {} };
  const charge = {
    id: 'ch_fixture',
    object: 'charge',
    amount: 4000,
    amount_refunded: 1600,
    payment_intent: intent,
    refunds: { object: 'list', data: [{ id: first.refund.id, object: 'refund', amount: 1000, payment_intent: intent, status: 'succeeded' }, refund2] },
  };
  expect(await deliver('evt_fixture_refund_2', 'refund.updated', refund2)).toEqual({ status: 200, body: { received: true, duplicate: false } });
  expect(await deliver('evt_fixture_charge_2', 'charge.refunded', charge)).toEqual({ status: 200, body: { received: true, duplicate: false } });
  expect(await deliver('evt_fixture_charge_2', 'charge.refunded', charge)).toEqual({ status: 200, body: { received: true, duplicate: true } });
  expect(await deliver('evt_fixture_refund_2b', 'refund.updated', refund2)).toMatchObject({ status: 200 });
  expect(await ledgerOf(orgId, 'refund')).toEqual([
    { credits: -500, ref: first.refund.id },
    { credits: -300, ref: 're_fixture_2' },
  ]);
  expect(await payment(orgId, paid)).toMatchObject({ status: 'partially_refunded', refundedCents: 1600 });
  expect((await expectLedgerMatches(stack, orgId)).topUpCredits).toBe(1200);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'payment.refunded')).toHaveLength(2);

  // A refund of more than is left (the fixture's refund bypassed the sandbox: it holds $30.00 left) is refused, and changes nothing.
  expectError(await stack.http.post(`/v1/sandbox/payment-intents/${intent}/refund`, ops(), { amountCents: 3001 }), 409, 'refund_refused');
  expect((await summary(stack, orgId)).topUpCredits).toBe(1200);
});

test('a dispute closed before it was heard of as opened: lost takes the credits once, won moves nothing', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const lost = await topUp(orgId, 1000);
  const won = await topUp(orgId, 500);
  const lostIntent = (await payment(orgId, lost)).paymentIntentId;
  const wonIntent = (await payment(orgId, won)).paymentIntentId;
  const dispute = (id: string, intent: string, status: string) => ({ id, object: 'dispute', amount: 0, charge: 'ch_x', payment_intent: intent, status });

  await deliver('evt_dp_lost_closed', 'charge.dispute.closed', dispute('dp_lost', lostIntent, 'lost'));
  await deliver('evt_dp_lost_created', 'charge.dispute.created', dispute('dp_lost', lostIntent, 'needs_response'));
  await deliver('evt_dp_won_closed', 'charge.dispute.closed', dispute('dp_won', wonIntent, 'won'));
  await deliver('evt_dp_won_created', 'charge.dispute.created', dispute('dp_won', wonIntent, 'needs_response'));
  expect(await ledgerOf(orgId, 'dispute')).toEqual([{ credits: -1000, ref: 'dp_lost' }]);
  expect(await ledgerOf(orgId, 'dispute_reversal')).toEqual([]);
  expect(await payment(orgId, lost)).toMatchObject({ status: 'disputed', disputed: true });
  expect(await payment(orgId, won)).toMatchObject({ status: 'succeeded', disputed: false });
  expect((await expectLedgerMatches(stack, orgId)).topUpCredits).toBe(500);
});

test('unknown payments and receipts are 404; a malformed id is 422', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const other = await createOrg(stack, { planCredits: 0 });
  const paid = await topUp(orgId, 500);
  expectError(await stack.http.get(`/v1/orgs/${other}/payments/${paid}/receipt`, ops()), 404, 'payment_not_found');
  expectError(await stack.http.get(`/v1/orgs/${orgId}/payments/nope/receipt`, ops()), 422, 'validation_failed');
  expectError(await stack.http.get(`/v1/orgs/${orgId}/payments?cursor=pay_unknown`, ops()), 422, 'validation_failed');
  expectError(await stack.http.get(`/v1/orgs/${orgId}/payments?status=lost`, ops()), 422, 'validation_failed');
});
