// GET /usage reads events through their requests (usage_requests), newest occurredAt first, ties by
// id descending, with no index per event (store/usageEvents.ts listUsageEvents). The pages must be
// exactly the events a plain sort of the organization's events gives, filters applied, whatever the
// page size: with requests whose occurredAt spans overlap, a request spanning days, ties across
// requests, and events recorded without occurredAt.
import type { Pool } from 'pg';
import { listUsageEvents, type UsageFilter } from '../../store/usageEvents';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

const HOUR = 3_600_000;
const now = Date.now();
const ago = (hours: number) => new Date(now - hours * HOUR).toISOString();

/** Batches of [id, agent, hours ago (null: no occurredAt)]. */
const BATCHES: Array<Array<[string, string, number | null]>> = [
  [['a1', 'x', 5], ['a2', 'y', 4], ['a3', 'x', 3]],
  [['b1', 'y', 4.5], ['b2', 'x', 3], ['b3', 'x', 0.5]],
  [['c1', 'x', 48], ['c2', 'y', 1]],
  [['d1', 'x', 3], ['d2', 'y', 3], ['d3', 'x', 2]],
  [['e1', 'y', null], ['e2', 'x', null]],
  [['f1', 'x', 10], ['f2', 'x', 9], ['f3', 'y', 8], ['f4', 'x', 7]],
  [['g1', 'y', 2.5]],
  [['h1', 'x', 6], ['h2', 'y', 0.25]],
  [['t9', 'x', 3]],
  [['t0', 'y', 3], ['t1', 'x', 2.75]],
  // Six requests at one instant, the largest ids recorded first: read newest request first, the best
  // of them come last.
  ...['k9', 'k5', 'k2', 'k7', 'k3', 'k1'].map((id): Array<[string, string, number]> => [[id, 'x', 1.5]]),
];

async function seeded(): Promise<string> {
  const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 1000 });
  for (const batch of BATCHES) {
    await recordUsage(db, orgId, batch.map(([id, agentId, hours]) => ({ id, agentId, meter: 'message', quantity: 1, credits: 1, occurredAt: hours === null ? null : ago(hours) })));
  }
  return orgId;
}

async function sorted(orgId: string, filter: UsageFilter): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM usage_events WHERE org_id = $1 AND ($2::text IS NULL OR agent_id = $2)
       AND ($3::timestamptz IS NULL OR occurred_at >= $3) AND ($4::timestamptz IS NULL OR occurred_at < $4)
     ORDER BY occurred_at DESC, id DESC`,
    [orgId, filter.agentId ?? null, filter.from ?? null, filter.to ?? null],
  );
  return rows.map((r) => r.id);
}

async function paged(orgId: string, filter: UsageFilter, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof listUsageEvents>> = await listUsageEvents(db, orgId, filter, limit, cursor ? decode(cursor) : undefined);
    expect(page.usageEvents.length).toBeLessThanOrEqual(limit);
    ids.push(...page.usageEvents.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

const decode = (cursor: string) => {
  const [occurredUs, id] = Buffer.from(cursor, 'base64url').toString().split(' ');
  return { occurredUs, id };
};

test.each<[string, UsageFilter]>([
  ['no filter', {}],
  ['one agent', { agentId: 'x' }],
  ['a window', { from: ago(4.6), to: ago(0.4) }],
  ['a window and an agent', { agentId: 'y', from: ago(50), to: ago(2) }],
  ['ties at one instant', { from: ago(1.51), to: ago(1.49) }],
])('%s: pages of every size list the sorted events, each once', async (_name, filter) => {
  const orgId = await seeded();
  const expected = await sorted(orgId, filter);
  expect(expected.length).toBeGreaterThan(2);
  for (const limit of [1, 2, 3, 5, 50]) expect(await paged(orgId, filter, limit)).toEqual(expected);
});

test('an event without occurredAt occurred when it was recorded', async () => {
  const orgId = await seeded();
  const { rows } = await db.query<{ same: boolean }>("SELECT occurred_at = recorded_at AS same FROM usage_events WHERE org_id = $1 AND id IN ('e1', 'e2')", [orgId]);
  expect(rows.map((r) => r.same)).toEqual([true, true]);
});

test('an organization without a balance row (possible only before migration 17) is listed the same', async () => {
  const orgId = await seeded();
  await db.query('DELETE FROM balances WHERE org_id = $1', [orgId]);
  for (const filter of [{}, { agentId: 'y', from: ago(50), to: ago(2) }]) {
    const expected = await sorted(orgId, filter);
    for (const limit of [2, 50]) expect(await paged(orgId, filter, limit)).toEqual(expected);
  }
});

test('an event is only ever voided: its split, request and time cannot change, nor the row go', async () => {
  const orgId = await seeded();
  await expect(db.query("UPDATE usage_events SET plan_credits = plan_credits + 1, wallet_credits = wallet_credits - 1 WHERE org_id = $1 AND id = 'a1'", [orgId])).rejects.toMatchObject({ code: 'BL004' });
  await expect(db.query("UPDATE usage_events SET request_seq = NULL WHERE org_id = $1 AND id = 'a1'", [orgId])).rejects.toMatchObject({ code: 'BL004' });
  await expect(db.query("DELETE FROM usage_events WHERE org_id = $1 AND id = 'a1'", [orgId])).rejects.toMatchObject({ code: 'BL004' });
  await db.query("UPDATE usage_events SET voided_at = now(), void_reason = 'test' WHERE org_id = $1 AND id = 'a1'", [orgId]);
  expect((await db.query("SELECT void_reason FROM usage_events WHERE org_id = $1 AND id = 'a1'", [orgId])).rows[0].void_reason).toBe('test');
});
