// PostgreSQL stops for a while under load: usage, reads and commands answer 503
// database_unavailable with Retry-After (the client retries), the workflow's commits retry, and
// once PostgreSQL is back nothing is lost, nothing is applied or charged twice.
import { migrateDatabase } from '../../store/migrate';
import { createOrg, expectLedgerMatches, settled } from '../helpers/billing';
import { PrivatePostgres } from '../helpers/privatePostgres';
import { freePort } from '../helpers/serviceProcess';
import { eventually, startStack, type Stack } from '../helpers/stack';

let postgres: PrivatePostgres;
let stack: Stack;

beforeAll(async () => {
  postgres = new PrivatePostgres(await freePort());
  postgres.init();
  postgres.start();
  const databaseUrl = `${postgres.serverUrl}/credits_billing_outage`;
  await migrateDatabase(databaseUrl);
  stack = await startStack({ DATABASE_URL: databaseUrl });
});
afterAll(async () => {
  await stack.stop();
  postgres.stop();
});

test('a PostgreSQL outage under load loses nothing and charges nothing twice', async () => {
  const orgId = await createOrg(stack, { planCredits: 200, autoRecharge: { thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 50 } });
  const service = stack.token('service');
  const accepted = new Set<string>();
  const statuses: number[] = [];
  let stopped = false;
  let n = 0;
  const streamer = (async () => {
    while (!stopped) {
      const i = n++;
      const events = Array.from({ length: 5 }, (_, k) => ({ id: `o${i}-${k}`, agentId: 'a', meter: 'message', quantity: 1 }));
      // A client retries a batch until it gets its 202.
      for (;;) {
        const res = await stack.http.post(`/v1/orgs/${orgId}/usage`, service, { events }).catch(() => ({ status: 0, body: undefined }));
        statuses.push(res.status);
        if (res.status === 202) {
          for (const e of events) accepted.add(e.id);
          break;
        }
        if (res.status === 503) expect(res.body?.error?.code).toBe('database_unavailable');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  })();

  await eventually(() => accepted.size >= 100);
  postgres.stop();
  const acceptedAtStop = accepted.size;
  const refusedAtStop = statuses.filter((s) => s === 503).length;
  // Usage needs PostgreSQL: it is refused with a 503 the client retries.
  await eventually(() => statuses.filter((s) => s === 503).length >= refusedAtStop + 5, 30_000);
  const ledger = await stack.http.get(`/v1/orgs/${orgId}/ledger`, stack.token('ops'));
  expect(ledger.status).toBe(503);
  expect(ledger.body.error.code).toBe('database_unavailable');
  expect((await stack.http.post('/v1/orgs', stack.token('ops'), { id: `${orgId}-new`, name: 'New' })).status).toBe(503);
  postgres.start();
  await eventually(() => accepted.size >= acceptedAtStop + 250, 60_000);
  stopped = true;
  await streamer;

  expect(statuses.filter((s) => s !== 202 && s !== 503)).toEqual([]);
  const s = await settled(stack, orgId, (x) => x.agents[0]?.spentThisMonth === accepted.size && x.availableCredits >= 100);
  const recharges = s.autoRecharge.rechargesUsedThisMonth;
  expect(recharges).toBeGreaterThan(0);
  expect(s.availableCredits).toBe(200 + 500 * recharges - accepted.size);
  await expectLedgerMatches(stack, orgId);
  const one = async (sql: string) => (await stack.db.query(sql, [orgId])).rows[0];
  expect(await one('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1')).toEqual({ n: accepted.size });
  expect(await one('SELECT count(*)::int AS n FROM sandbox_payment_intents WHERE org_id = $1')).toEqual({ n: recharges });
});
