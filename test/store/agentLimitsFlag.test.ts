// record_usage reads the batch's agents' limits only when the organization's balance row says an
// agent has one (balances.agent_limits, kept by a trigger on agent_settings: migration 17). Setting,
// changing and removing limits, through the store or in SQL, must keep that flag true exactly while
// a limit exists, so a debit always honours the limits in force.
import type { Pool } from 'pg';
import { saveAgentSettings } from '../../store/agents';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

const flag = async (orgId: string) => (await db.query<{ on: boolean }>('SELECT agent_limits AS on FROM balances WHERE org_id = $1', [orgId])).rows[0].on;
const event = (id: string, agentId: string, credits: number) => ({ id, agentId, meter: 'message', quantity: 1, credits, occurredAt: null });
const planTaken = async (orgId: string, id: string) =>
  (await db.query<{ plan: number }>('SELECT plan_credits AS plan FROM usage_events WHERE org_id = $1 AND id = $2', [orgId, id])).rows[0].plan;

test('the flag follows the limits, and each debit honours the limits in force', async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 1000, wallet: 0 });
  expect(await flag(orgId)).toBe(false);

  await saveAgentSettings(db, orgId, 'capped', { monthlyLimitCredits: 5, whenPlanExhausted: 'use_balance' });
  await saveAgentSettings(db, orgId, 'free', { monthlyLimitCredits: null, whenPlanExhausted: 'stop' });
  expect(await flag(orgId)).toBe(true);
  await recordUsage(db, orgId, [event('u1', 'capped', 8), event('u2', 'free', 8)]);
  expect([await planTaken(orgId, 'u1'), await planTaken(orgId, 'u2')]).toEqual([5, 8]);

  await saveAgentSettings(db, orgId, 'capped', { monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' });
  expect(await flag(orgId)).toBe(false);
  await recordUsage(db, orgId, [event('u3', 'capped', 8)]);
  expect(await planTaken(orgId, 'u3')).toBe(8);

  await db.query("INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted) VALUES ($1, 'other', 0, 'use_balance')", [orgId]);
  expect(await flag(orgId)).toBe(true);
  await recordUsage(db, orgId, [event('u4', 'other', 3)]);
  expect(await planTaken(orgId, 'u4')).toBe(0);

  await db.query("DELETE FROM agent_settings WHERE org_id = $1 AND agent_id = 'other'", [orgId]);
  expect(await flag(orgId)).toBe(false);
});

test("one agent's limit set while another's is cleared, concurrently: the flag counts the limit that stays", async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 1000, wallet: 0 });
  await saveAgentSettings(db, orgId, 'b', { monthlyLimitCredits: 7, whenPlanExhausted: 'use_balance' });
  const first = await db.connect();
  const second = await db.connect();
  try {
    await first.query('BEGIN');
    await first.query("INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted) VALUES ($1, 'a', 5, 'use_balance')", [orgId]);
    const secondPid = (await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await second.query('BEGIN');
    // Waits on the balance row the first transaction's trigger locked.
    const clearing = second.query("UPDATE agent_settings SET monthly_limit_credits = NULL WHERE org_id = $1 AND agent_id = 'b'", [orgId]);
    await waitingOnALock(secondPid);
    await first.query('COMMIT');
    await clearing;
    await second.query('COMMIT');
  } finally {
    first.release();
    second.release();
  }
  expect(await flag(orgId)).toBe(true);
  await recordUsage(db, orgId, [event('w1', 'a', 100)]);
  expect(await planTaken(orgId, 'w1')).toBe(5);
});

/** Resolves once the backend `pid` waits for a lock. */
async function waitingOnALock(pid: number): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", [pid]);
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
