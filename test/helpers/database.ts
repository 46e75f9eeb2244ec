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
    `INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
     SELECT $1, now(), 'adjustment', pool, credits, 'setup' FROM (VALUES ('plan', $2::bigint), ('wallet', $3::bigint)) AS p(pool, credits) WHERE credits <> 0`,
    [orgId, balance.planRemaining, balance.wallet],
  );
  await db.query('UPDATE balances SET plan_remaining = $2, wallet = $3, threshold_credits = $4, low_notified = $5 WHERE org_id = $1', [
    orgId,
    balance.planRemaining,
    balance.wallet,
    balance.thresholdCredits ?? 0,
    balance.lowNotified ?? false,
  ]);
  return orgId;
}
