// SIGKILL the service (API + worker) while usage streams in and a charge is in flight, start it
// again: every event that got a 202 is applied exactly once, no payment is made twice, the
// organization's workflow goes on.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { signToken } from '../../api/auth';
import { createPool } from '../../store/pool';
import type { BillingSummary } from '../../domain/summary';
import { workflowIdFor } from '../../workflows/messages';
import { Client, Connection } from '@temporalio/client';
import { freePort, ServiceProcess } from '../helpers/serviceProcess';
import { eventually, httpClient, testEnv } from '../helpers/stack';

const SECRET = 'durability-secret';
const BATCHES = 40;
const EVENTS_PER_BATCH = 10;

let service: ServiceProcess;
let db: Pool;
let connection: Connection;

beforeAll(async () => {
  const port = await freePort();
  const env = testEnv({
    AUTH_JWT_SECRET: SECRET,
    PORT: String(port),
    SANDBOX_CHARGE_DELAY_MS: '1500',
    CHARGE_TIMEOUT_MS: '3000',
    RECORDS_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
  });
  service = new ServiceProcess(env, `http://127.0.0.1:${port}`);
  db = createPool(process.env.TEST_DATABASE_URL!);
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  await service.start();
});

afterAll(async () => {
  await service.stop();
  await connection.close();
  await db.end();
});

test('a SIGKILL mid-stream and mid-charge loses no usage and charges nothing twice', async () => {
  const http = httpClient(service.url);
  const ops = signToken({ sub: 'ops', role: 'ops', org: '*' }, SECRET);
  const serviceToken = signToken({ sub: 'svc', role: 'service', org: '*' }, SECRET);
  const orgId = `durable-${randomUUID().slice(0, 8)}`;
  const owner = signToken({ sub: 'owner', role: 'owner', org: orgId }, SECRET);

  expect((await http.post('/v1/orgs', ops, { id: orgId, name: 'Durable' })).status).toBe(201);
  const periodEnd = new Date(Date.now() + 30 * 86400_000).toISOString();
  expect((await http.put(`/v1/orgs/${orgId}/subscription`, ops, { status: 'active', planCredits: 100, currentPeriodEnd: periodEnd })).status).toBe(200);
  expect((await http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' })).status).toBe(200);
  expect(
    (await http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, { enabled: true, thresholdCredits: 80, rechargeCredits: 500, maxRechargesPerMonth: 50 })).status,
  ).toBe(200);

  const batches = Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: EVENTS_PER_BATCH }, (_, i) => ({ id: `b${b}-e${i}`, agentId: 'agent-1', meter: 'message', quantity: 1 })),
  );
  const accepted = new Set<number>();
  const send = async (b: number) => {
    try {
      const res = await http.post(`/v1/orgs/${orgId}/usage`, serviceToken, { events: batches[b] });
      if (res.status === 202) accepted.add(b);
    } catch {
      // Connection reset by the kill: the outcome is unknown, the client retries later.
    }
  };

  // Stream usage; kill the process once a charge is in flight.
  let next = 0;
  let killed = false;
  const streamer = (async () => {
    while (next < BATCHES && !killed) await send(next++);
  })();
  await eventually(async () => {
    const res = await http.get<BillingSummary>(`/v1/orgs/${orgId}/billing`, ops);
    if (res.body?.pendingPayment?.status !== 'processing') throw new Error('no charge in flight yet');
  }, 30_000, 10);
  await service.kill();
  killed = true;
  await streamer;
  expect(accepted.size).toBeGreaterThan(0);
  expect(accepted.size).toBeLessThan(BATCHES);

  await service.start();
  // The client retries what it has no 202 for, and redelivers some of what it has.
  for (let b = 0; b < BATCHES; b++) if (!accepted.has(b)) await send(b);
  for (const b of [...accepted].slice(0, 3)) await send(b);
  expect(accepted.size).toBe(BATCHES);

  const totalCredits = BATCHES * EVENTS_PER_BATCH;
  const settledSummary = await eventually(async () => {
    const { body } = await http.get<BillingSummary>(`/v1/orgs/${orgId}/billing`, ops);
    expect(body.pendingPayment).toBeNull();
    expect(body.agents[0].spentThisMonth).toBe(totalCredits);
    expect(body.availableCredits).toBeGreaterThanOrEqual(80);
    return body;
  }, 60_000, 100);
  const recharges = settledSummary.autoRecharge.rechargesUsedThisMonth;
  expect(recharges).toBeGreaterThan(0);
  expect(settledSummary.availableCredits).toBe(100 + 500 * recharges - totalCredits);

  expect((await http.get(`/v1/orgs/${orgId}/ledger?limit=1`, ops)).status).toBe(200); // waits for commits
  const one = async (sql: string) => (await db.query(sql, [orgId])).rows[0];
  expect(await one('SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM usage_events WHERE org_id = $1')).toEqual({ n: totalCredits, d: totalCredits });
  expect(await one("SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'")).toEqual({ n: totalCredits });
  // One provider charge per credited recharge, each under its own idempotency key.
  expect(await one('SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS d FROM sandbox_payment_intents WHERE org_id = $1')).toEqual({ n: recharges, d: recharges });
  expect(await one("SELECT count(*)::int AS n, sum(credits)::int AS s FROM ledger_entries WHERE org_id = $1 AND kind = 'auto_recharge'")).toEqual({ n: recharges, s: 500 * recharges });
  const sums = await db.query<{ pool: string; s: number }>('SELECT pool, sum(credits)::int AS s FROM ledger_entries WHERE org_id = $1 GROUP BY pool', [orgId]);
  expect(Object.fromEntries(sums.rows.map((r) => [r.pool, r.s]))).toEqual({ plan: settledSummary.planCredits.remaining, wallet: settledSummary.topUpCredits });

  const description = await new Client({ connection }).workflow.getHandle(workflowIdFor(orgId)).describe();
  expect(description.status.name).toBe('RUNNING');
});
