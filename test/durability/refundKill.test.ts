// SIGKILL the service after the provider made an operator's refund and before its ledger entry:
// started again, the refund is asked for again under the same idempotency key, so the provider
// makes it once, and the credits leave the wallet once.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { signToken } from '../../api/auth';
import type { BillingSummary } from '../../domain/summary';
import { createPool } from '../../store/pool';
import { freePort, ServiceProcess } from '../helpers/serviceProcess';
import { eventually, httpClient, testEnv } from '../helpers/stack';

const SECRET = 'durability-secret';

let service: ServiceProcess;
let db: Pool;

beforeAll(async () => {
  const port = await freePort();
  // Each provider call (charge, refund) answers 1.5 s after the provider recorded it: the kill lands in between.
  const env = testEnv({ AUTH_JWT_SECRET: SECRET, PORT: String(port), SANDBOX_CHARGE_DELAY_MS: '1500', CHARGE_TIMEOUT_MS: '3000', RECORDS_TIMEOUT_MS: '3000', LOG_LEVEL: 'warn' });
  service = new ServiceProcess(env, `http://127.0.0.1:${port}`);
  db = createPool(process.env.TEST_DATABASE_URL!);
  await service.start();
});

afterAll(async () => {
  await service.stop();
  await db.end();
});

test('a SIGKILL between the provider refund and the ledger entry leaves one refund and one entry', async () => {
  const http = httpClient(service.url);
  const ops = signToken({ sub: 'ops', role: 'ops', org: '*' }, SECRET);
  const orgId = `refund-${randomUUID().slice(0, 8)}`;
  const owner = signToken({ sub: 'owner', role: 'owner', org: orgId }, SECRET);
  expect((await http.post('/v1/orgs', ops, { id: orgId, name: 'Refunds' })).status).toBe(201);
  expect((await http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' })).status).toBe(200);
  const topUp = await http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 1000 }, { 'idempotency-key': 'refund-kill' });
  expect(topUp.status).toBe(201);
  const paymentId = topUp.body.topUp.id;

  const one = async (sql: string) => (await db.query(sql, [orgId])).rows[0];
  const refundsAtProvider = () => one('SELECT count(*)::int AS n FROM sandbox_refunds r JOIN sandbox_payment_intents i ON i.id = r.payment_intent_id WHERE i.org_id = $1');
  const refundEntries = () => one("SELECT count(*)::int AS n, COALESCE(sum(credits), 0)::int AS s FROM ledger_entries WHERE org_id = $1 AND kind = 'refund'");

  const asked = http.post(`/v1/orgs/${orgId}/payments/${paymentId}/refunds`, ops, { credits: 400 }).catch(() => undefined); // reset by the kill
  await eventually(async () => expect(await refundsAtProvider()).toEqual({ n: 1 }), 30_000, 10);
  expect(await refundEntries()).toEqual({ n: 0, s: 0 });
  await service.kill();
  await asked;

  await service.start();
  await eventually(async () => expect(await refundEntries()).toEqual({ n: 1, s: -400 }), 60_000, 100);
  expect(await refundsAtProvider()).toEqual({ n: 1 });
  const { body } = await http.get<BillingSummary>(`/v1/orgs/${orgId}/billing`, ops);
  expect(body.topUpCredits).toBe(600);
  const sums = await db.query<{ pool: string; s: number }>('SELECT pool, sum(credits)::int AS s FROM ledger_entries WHERE org_id = $1 GROUP BY pool', [orgId]);
  expect(Object.fromEntries(sums.rows.map((r) => [r.pool, r.s]))).toEqual({ wallet: 600 });
  const payments = await http.get(`/v1/orgs/${orgId}/payments`, ops);
  expect(payments.body.payments[0]).toMatchObject({ id: paymentId, status: 'partially_refunded', refundedCents: 800 });
  // Asked again, the same refund is not made twice: 600 credits are left.
  expect((await http.post(`/v1/orgs/${orgId}/payments/${paymentId}/refunds`, ops, { credits: 601 })).status).toBe(409);
});
