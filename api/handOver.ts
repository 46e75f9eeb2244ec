// Organizations created before balances moved to PostgreSQL: their workflow of the previous design
// writes what it holds once and continues as the present workflow. Without a running workflow (one
// that ended), the balance is rebuilt from the ledger, which holds every pool change.
import type { Pool } from 'pg';
import { initialOrgBilling } from '../domain/orgBilling';
import { handOverToPostgres } from '../ledger/orgRows';
import { ApiError } from './errors';
import type { OrgWorkflows } from './orgWorkflows';

const HAND_OVER_WAIT_MS = 20_000;
const POLL_MS = 50;

async function hasBalance(db: Pool, orgId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM balances WHERE org_id = $1', [orgId]);
  return rowCount === 1;
}

async function rebuildFromLedger(db: Pool, orgId: string): Promise<void> {
  const { rows } = await db.query<{ pool: string; sum: number }>('SELECT pool, SUM(credits)::bigint AS sum FROM ledger_entries WHERE org_id = $1 GROUP BY pool', [orgId]);
  const sum = (pool: string) => rows.find((r) => r.pool === pool)?.sum ?? 0;
  await handOverToPostgres(db, {
    orgId,
    record: initialOrgBilling(),
    pools: { planRemaining: sum('plan'), topUp: sum('top_up') },
    period: 0,
    belowThreshold: false,
    lastEventSeq: 0,
    agents: {},
    topUps: [],
  });
}

export function handOverLegacyOrg(db: Pool, workflows: OrgWorkflows): (orgId: string) => Promise<void> {
  return async (orgId) => {
    if (!(await workflows.requestHandOver(orgId))) {
      await rebuildFromLedger(db, orgId);
      await workflows.start(orgId);
      return;
    }
    const deadline = Date.now() + HAND_OVER_WAIT_MS;
    // The balance is written, then the run continues as the present workflow: commands wait for both.
    while (!(await hasBalance(db, orgId)) || !(await workflows.runsPresentDesign(orgId))) {
      if (Date.now() > deadline) throw new ApiError(503, 'hand_over_pending', 'This organization is moving to the new ledger; retry shortly.', 1);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
}
