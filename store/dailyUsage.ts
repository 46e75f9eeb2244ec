// Usage per organization and UTC day (daily_usage): written by record_usage (usage.ts), in the
// transaction that writes the usage entries, from the same split, so a day's figures are its
// usage entries' sums (test/api/dailyUsage.test.ts holds them together), less the events voided
// since (takeOutOfDay, in the void's transaction). Read for GET /usage/daily: a few rows a day,
// however many entries the day had.
import type { Pool, PoolClient } from 'pg';
import type { UsageSplit } from '../domain/usageCorrection';

export interface DailyUsage {
  date: string;
  planCredits: number;
  /** Credits taken from credit grants. */
  grantCredits: number;
  walletCredits: number;
}

/** A voided event's split out of the UTC day it was recorded on (its usage entries' day). */
export async function takeOutOfDay(tx: PoolClient, orgId: string, recordedAt: string, split: UsageSplit): Promise<void> {
  await tx.query(
    `UPDATE daily_usage SET plan_credits = plan_credits - $3, grant_credits = grant_credits - $4, wallet_credits = wallet_credits - $5
     WHERE org_id = $1 AND day = ($2::timestamptz AT TIME ZONE 'UTC')::date`,
    [orgId, recordedAt, split.plan, split.grants, split.wallet],
  );
}

/** Credits used per UTC day, plan, grants and wallet apart, every day of the range (zero included). */
export async function readDailyUsage(db: Pool, orgId: string, from: string, to: string): Promise<DailyUsage[]> {
  const { rows } = await db.query<{ date: string; plan: number; grants: number; wallet: number }>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS date, COALESCE(u.plan_credits, 0) AS plan, COALESCE(u.grant_credits, 0) AS grants, COALESCE(u.wallet_credits, 0) AS wallet
     FROM generate_series($2::date, $3::date, interval '1 day') AS d
     LEFT JOIN (SELECT day, plan_credits, grant_credits, wallet_credits FROM daily_usage WHERE org_id = $1 AND day BETWEEN $2::date AND $3::date) u
       ON u.day = d::date
     ORDER BY d`,
    [orgId, from, to],
  );
  return rows.map((r) => ({ date: r.date, planCredits: Number(r.plan), grantCredits: Number(r.grants), walletCredits: Number(r.wallet) }));
}
