// The ledger's usage entries are derived from usage requests (migration 17). A page
// (ledger_page_newest behind GET /ledger, ledger_page_oldest behind the simulation) expands only
// the requests it can show; the view
// ledger_entries expands them all. Both must list the same entries in the same order, whatever the
// page size, with requests cut by the cursor, postings between requests, events that cost nothing
// and batches that run through several grants.
import type { Pool } from 'pg';
import { createGrant } from '../../store/grants';
import { listLedgerEntries } from '../../store/ledger';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

const at = () => new Date().toISOString();
const usage = (prefix: string, credits: number[]) =>
  credits.map((c, i) => ({ id: `${prefix}-${i}`, agentId: 'a', meter: 'message', quantity: 1, credits: c, occurredAt: at() }));

/** An organization whose ledger has postings, requests through plan, grants and wallet, and a request of free events only. */
async function busyLedger(): Promise<string> {
  const orgId = await orgWithBalance(db, { planRemaining: 7, wallet: 100 });
  for (const [i, credits] of [4, 3, 5].entries()) {
    await createGrant(db, orgId, { credits, name: `g${i}`, category: 'promotional', priority: i, expiresAt: null, idempotencyKey: null }, at());
  }
  await recordUsage(db, orgId, usage('a', [2, 0, 3, 4, 1]));
  await recordUsage(db, orgId, usage('free', [0, 0]));
  await createGrant(db, orgId, { credits: 2, name: 'late', category: 'promotional', priority: 9, expiresAt: null, idempotencyKey: null }, at());
  await recordUsage(db, orgId, usage('b', [6, 1, 9]));
  for (const batch of ['c', 'd', 'e', 'f']) await recordUsage(db, orgId, usage(batch, [1, 2]));
  return orgId;
}

async function viewOrder(orgId: string): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    "SELECT concat_ws(' ', id, kind, pool, credits, ref, grant_id) AS line FROM ledger_entries WHERE org_id = $1 ORDER BY id",
    [orgId],
  );
  return rows.map((r) => r.line);
}

test('newest-first pages of every size list the view, each entry once', async () => {
  const orgId = await busyLedger();
  const expected = (await viewOrder(orgId)).reverse();
  expect(expected.filter((line) => line.includes(' usage ')).length).toBeGreaterThan(10);
  for (const limit of [1, 2, 3, 5, 8, 100]) {
    const lines: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listLedgerEntries(db, orgId, limit, cursor);
      expect(page.entries.length).toBeLessThanOrEqual(limit);
      lines.push(...page.entries.map((e) => [e.id, e.kind, e.pool, e.credits, e.ref, e.grantId].filter((v) => v !== null).join(' ')));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(lines).toEqual(expected);
  }
});

test('oldest-first pages within a window list the view in the same order', async () => {
  const orgId = await busyLedger();
  const expected = await viewOrder(orgId);
  for (const limit of [1, 4, 100]) {
    const lines: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const { rows }: { rows: Array<{ id: string; line: string }> } = await db.query(
        `SELECT id::text, concat_ws(' ', id, kind, pool, credits, ref, grant_id) AS line
         FROM ledger_page_oldest($1, $2::bigint, now() - interval '1 hour', now() + interval '1 hour', $3) e ORDER BY e.id`,
        [orgId, cursor, limit],
      );
      lines.push(...rows.map((r) => r.line));
      if (rows.length < limit) break;
      cursor = rows[rows.length - 1].id;
    }
    expect(lines).toEqual(expected);
  }
});

test("each pool's entries sum to its balance, each grant's to what it has left", async () => {
  const orgId = await busyLedger();
  const { rows } = await db.query<{ pool: string; ledger: number; balance: number }>(
    `SELECT l.pool, l.sum AS ledger, CASE l.pool WHEN 'plan' THEN b.plan_remaining WHEN 'grant' THEN b.grant_credits ELSE b.wallet END AS balance
     FROM (SELECT pool, SUM(credits)::bigint AS sum FROM ledger_entries WHERE org_id = $1 GROUP BY pool) l, balances b WHERE b.org_id = $1`,
    [orgId],
  );
  expect(rows).toHaveLength(3);
  for (const row of rows) expect(row.ledger).toBe(row.balance);
  const grants = await db.query<{ remaining: number; ledger: number }>(
    `SELECT g.remaining, (SELECT SUM(l.credits) FROM ledger_entries l WHERE l.org_id = $1 AND l.grant_id = g.id)::bigint AS ledger
     FROM credit_grants g WHERE g.org_id = $1`,
    [orgId],
  );
  expect(grants.rows).toHaveLength(4);
  for (const grant of grants.rows) expect(grant.ledger).toBe(grant.remaining);
});
