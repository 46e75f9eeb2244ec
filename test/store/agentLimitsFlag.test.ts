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
