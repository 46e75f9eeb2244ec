// A batch is first taken as all new (the primary key's own check, no lookup); one with ids recorded
// before is undone and recorded again with each id looked up. Either way only the new events are
// split and debited, and the split is theirs alone.
import type { Pool } from 'pg';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

const event = (id: string, credits: number) => ({ id, agentId: 'a', meter: 'message', quantity: 1, credits, occurredAt: new Date().toISOString() });

const state = async (orgId: string) => {
  const balance = await db.query('SELECT plan_remaining, wallet FROM balances WHERE org_id = $1', [orgId]);
  const events = await db.query('SELECT id, plan_credits, wallet_credits FROM usage_events WHERE org_id = $1 ORDER BY id', [orgId]);
  const ledger = await db.query("SELECT count(*)::int AS n, COALESCE(SUM(credits), 0)::bigint AS sum FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'", [orgId]);
  return { balance: balance.rows[0], events: events.rows, ledger: ledger.rows[0] };
};

test('a batch mixing ids recorded before with new ones debits the new ones only, split as if alone', async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 100, wallet: 0 });
  expect((await recordUsage(db, orgId, [event('a', 60)])).recorded).toBe(1);
  // "a" again first: taken as new it would have taken the plan's 40 left; the retry splits b alone.
  const retried = await recordUsage(db, orgId, [event('a', 60), event('b', 70)]);
  expect(retried).toMatchObject({ recorded: 1, availableCredits: 100 - 60 - 70 });
  expect(await state(orgId)).toEqual({
    balance: { plan_remaining: 0, wallet: -30 },
    events: [
      { id: 'a', plan_credits: 60, wallet_credits: 0 },
      { id: 'b', plan_credits: 40, wallet_credits: 30 },
    ],
    ledger: { n: 3, sum: -130 },
  });
});

test('a batch sent again whole records nothing and changes nothing', async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 100, wallet: 0 });
  const batch = [event('x', 10), event('y', 20)];
  await recordUsage(db, orgId, batch);
  const before = await state(orgId);
  expect((await recordUsage(db, orgId, batch)).recorded).toBe(0);
  expect(await state(orgId)).toEqual(before);
});
