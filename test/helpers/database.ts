// The run's test database (created by test/setup/globalSetup.ts) for tests of the data layer alone.
import type { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { createOrgRows } from '../../store/orgs';
import { createPool } from '../../store/pool';

export function testDatabase(): Pool {
  return createPool(process.env.TEST_DATABASE_URL!, 4);
}

/** A new organization with these pools and settings on its balance row, its ledger matching them. */
export async function orgWithBalance(db: Pool, balance: { planRemaining: number; wallet: number; thresholdCredits?: number; lowNotified?: boolean }): Promise<string> {
  const orgId = `store-${randomUUID().slice(0, 8)}`;
  await createOrgRows(db, { id: orgId, name: orgId, parentId: null });
  await db.query(
    `INSERT INTO ledger_postings (org_id, at, kind, pool, credits, ref)
     SELECT $1, now(), 'adjustment', pool, credits, 'setup' FROM (VALUES ('plan', $2::bigint), ('wallet', $3::bigint)) AS p(pool, credits) WHERE credits <> 0`,
    [orgId, balance.planRemaining, balance.wallet],
  );
  await db.query('UPDATE balances SET plan_remaining = $2::bigint, plan_granted = GREATEST($2::bigint, 0), wallet = $3, threshold_credits = $4, low_notified = $5 WHERE org_id = $1', [
    orgId,
    balance.planRemaining,
    balance.wallet,
    balance.thresholdCredits ?? 0,
    balance.lowNotified ?? false,
  ]);
  return orgId;
}

/**
 * The first of a block of ledger ids far above the id sequence, for tests that write many entries
 * in one statement: drawing them from the sequence would move the ids other tests place
 * (test/api/ledgerOrder.test.ts). Blocks come from a sequence of their own, so test files running
 * at once on the run's database never share one.
 */
export async function bulkLedgerIdBlock(db: Pool): Promise<number> {
  await db.query('CREATE SEQUENCE IF NOT EXISTS test_bulk_ledger_id_blocks');
  const { rows } = await db.query<{ block: number }>("SELECT nextval('test_bulk_ledger_id_blocks')::int AS block");
  return 10 ** 12 * rows[0].block;
}
