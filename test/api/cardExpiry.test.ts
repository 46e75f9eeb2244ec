// payment_method.expiring: a default card expiring before the end of next month is announced once
// per card, by the API's own sweep (no call asks for it), by webhook and by e-mail.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { CardExpirySweep } from '../../api/cardExpirySweep';
import { expiringThrough } from '../../domain/cards';
import { logger } from '../../observability/logger';
import { saveCard } from '../../store/paymentMethods';
import { createOrg, expectStatus } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { WebhookReceiver } from '../helpers/webhookReceiver';

const mails: string[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, _session, callback) {
    let raw = '';
    stream.on('data', (chunk) => (raw += chunk));
    stream.on('end', () => {
      mails.push(raw);
      callback();
    });
  },
});
const receiver = new WebhookReceiver();
let stack: Stack;

beforeAll(async () => {
  await receiver.start();
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as { port: number };
  stack = await startStack({ SMTP_URL: `smtp://127.0.0.1:${port}`, NOTIFY_FROM: 'billing@example.test', CARD_EXPIRY_SWEEP_INTERVAL_MS: '200' });
});
afterAll(async () => {
  await stack.stop();
  await receiver.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** A card saved through the sandbox checkout with this expiry; answers its id once it counts. */
async function addCard(org: string, number: string, month: number, year: number): Promise<string> {
  const { url } = await expectStatus(stack.http.post(`/v1/orgs/${org}/payment-method-sessions`, stack.token('owner', org), {}), 201);
  const form = new URLSearchParams({ number, expiry: `${month}/${year}`, cvc: '123' });
  expect((await fetch(url, { method: 'POST', body: form, redirect: 'manual' })).status).toBe(303);
  const { rows } = await stack.db.query('SELECT payment_method_id FROM sandbox_checkout_sessions WHERE id = $1', [url.split('/').pop()]);
  const id = rows[0].payment_method_id as string;
  await eventually(async () => {
    const { paymentMethods } = await expectStatus(stack.http.get(`/v1/orgs/${org}/payment-methods`, stack.token('owner', org)), 200);
    if (!paymentMethods.some((c: { id: string }) => c.id === id)) throw new Error('not listed yet');
  });
  return id;
}

test('the default card expiring next month is announced once, by webhook and e-mail; a card that is not the default is not', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const path = `/hooks/${org}`;
  await expectStatus(stack.http.post(`/v1/orgs/${org}/webhook-endpoints`, stack.token('owner', org), { url: `${receiver.url}${path}`, eventTypes: ['payment_method.expiring'] }), 201);
  await expectStatus(stack.http.put(`/v1/orgs/${org}/notifications`, stack.token('owner', org), { email: 'owner@example.test', eventTypes: ['payment_method.expiring'] }), 200);
  const soon = expiringThrough(new Date());
  const later = await addCard(org, '4242424242424242', 12, soon.year + 5);
  // Saved but never the default (a card added through checkout becomes the default): no notice.
  await saveCard(stack.db, org, 'pm_card_mastercard', { brand: 'mastercard', last4: '4444', expMonth: soon.month, expYear: soon.year });
  expect(await new CardExpirySweep(stack.db, logger, 60_000).sweepOnce()).toBe(0);
  const expiring = await addCard(org, '4000002760003184', soon.month, soon.year);
  // Back to the later card and again to this one: still one notice for it.
  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-methods/${later}/default`, stack.token('owner', org)), 200);
  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-methods/${expiring}/default`, stack.token('owner', org)), 200);

  const request = await eventually(() => {
    const [first] = receiver.to(path);
    if (!first) throw new Error('no webhook yet');
    return first;
  });
  const body = JSON.parse(request.body);
  const expiry = `${String(soon.month).padStart(2, '0')}/${soon.year}`;
  expect(body.type).toBe('payment_method.expiring');
  expect(body.data).toMatchObject({ orgId: org, event: { type: 'payment_method.expiring', message: `Visa •••• 3184 expires ${expiry}.`, data: { paymentMethodId: expiring, brand: 'visa', last4: '3184', expMonth: soon.month, expYear: soon.year } } });
  const mail = await eventually(() => {
    const found = mails.find((m) => m.includes(org));
    if (!found) throw new Error('no mail yet');
    return found;
  });
  const parsed = await simpleParser(mail);
  expect(parsed.subject).toBe(`Org ${org}: Visa •••• 3184 expires ${expiry}.`);
  expect(parsed.text).toContain('Add a new card under Billing and make it the default before this one expires');

  // Later sweeps (the API's own, every 200 ms, and another one here) write nothing more.
  const { rows: seqs } = await stack.db.query('SELECT event_seq FROM balances WHERE org_id = $1', [org]);
  await eventually(async () => {
    const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM deliveries WHERE org_id = $1 AND channel = 'email' AND status = 'succeeded'", [org]);
    if (rows[0].n !== 1) throw new Error('mail not recorded yet');
  });
  expect(await new CardExpirySweep(stack.db, logger, 60_000).sweepOnce()).toBe(0);
  const { rows } = await stack.db.query("SELECT data->>'paymentMethodId' AS id FROM events WHERE org_id = $1 AND type = 'payment_method.expiring'", [org]);
  expect(rows).toEqual([{ id: expiring }]);
  const { rows: after } = await stack.db.query('SELECT event_seq FROM balances WHERE org_id = $1', [org]);
  expect(after).toEqual(seqs);
  expect(receiver.to(path)).toHaveLength(1);
});
