// The owner's e-mail, through a real SMTP server: three declines disable auto-recharge, and the
// owner is told, with what to do.
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createOrg, enableAutoRecharge, messages, postUsage, settled } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

interface Mail {
  to: string[];
  raw: string;
}

const mails: Mail[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let raw = '';
    stream.on('data', (chunk) => (raw += chunk));
    stream.on('end', () => {
      mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
      callback();
    });
  },
});
let stack: Stack;

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as { port: number };
  stack = await startStack({ SMTP_URL: `smtp://127.0.0.1:${port}`, NOTIFY_FROM: 'billing@example.test', AUTO_RECHARGE_RETRY_DELAY_MS: '200' });
});
afterAll(async () => {
  await stack.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

test('the owner is e-mailed when three declines disable auto-recharge, once per event', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_chargeDeclined' });
  await stack.db.query("INSERT INTO notification_settings (org_id, email, event_types) VALUES ($1, 'owner@example.test', ARRAY['auto_recharge.disabled'])", [orgId]);
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 500, maxRechargesPerMonth: 5 });
  await postUsage(stack, orgId, messages(10));
  await settled(stack, orgId, (s) => s.autoRecharge.consecutiveFailures === 3 && !s.autoRecharge.enabled);
  const mail = await eventually(() => {
    const found = mails.find((m) => m.raw.includes(orgId));
    if (!found) throw new Error('no mail yet');
    return found;
  });
  expect(mail.to).toEqual(['owner@example.test']);
  const parsed = await simpleParser(mail.raw);
  expect(parsed.from?.text).toBe('billing@example.test');
  expect(parsed.subject).toBe(`Org ${orgId}: Auto-recharge was disabled after multiple failed payment attempts. Please update your payment method and re-enable.`);
  expect(parsed.text).toContain(`Organization: Org ${orgId} (${orgId})`);
  expect(parsed.text).toContain('Update the payment method, then turn auto-recharge on again under Billing.');
  // Only the subscribed type: the three failures themselves sent nothing.
  const { rows } = await stack.db.query("SELECT event_type, status FROM deliveries WHERE org_id = $1 AND channel = 'email'", [orgId]);
  expect(rows).toEqual([{ event_type: 'auto_recharge.disabled', status: 'succeeded' }]);
  expect(mails.filter((m) => m.raw.includes(orgId))).toHaveLength(1);
});

test("a successful top-up's e-mail links its receipt (the owner's default e-mail types include it)", async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const owner = stack.token('owner', orgId);
  const saved = await stack.http.put(`/v1/orgs/${orgId}/notifications`, owner, { email: 'owner@example.test' });
  expect(saved.body.eventTypes).toEqual(expect.arrayContaining(['top_up.succeeded', 'payment.refunded', 'payment.disputed']));
  const topUp = await stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 500 }, { 'idempotency-key': 'receipt-mail' });
  expect(topUp.status).toBe(201);
  const mail = await eventually(() => {
    const found = mails.find((m) => m.raw.includes(orgId) && m.raw.includes('Receipt:'));
    if (!found) throw new Error('no receipt mail yet');
    return found;
  });
  const parsed = await simpleParser(mail.raw);
  const link = /Receipt: (\S+)/.exec(parsed.text ?? '')![1];
  const { payments } = (await stack.http.get(`/v1/orgs/${orgId}/payments`, owner)).body;
  // The worker links through PUBLIC_URL (here unset: its configured address); the path is the payment's receipt link.
  expect(new URL(link).pathname).toBe(new URL(payments[0].receiptUrl).pathname);
  const receipt = await fetch(`${stack.api.url}${new URL(link).pathname}`);
  expect(receipt.status).toBe(200);
  expect(await receipt.text()).toContain('500 credits at $20.00 per 1,000 credits');
});
