// Alerts (alerts): an organization's alert ladder, saved by the API as settings (no workflow owns
// them), and evaluated by the trigger on balances (migrations) in the transaction of every
// balance change, which writes alert.triggered and keeps each alert's armed state.
import type { Pool, PoolClient } from 'pg';
import type { Alert, AlertDefinition } from '../domain/alerts';
import { lockBalance } from './balances';
import { inTransaction } from './transaction';

interface Row {
  id: string;
  type: Alert['type'];
  credits: number | null;
  percent: number | null;
  armed: boolean;
  last_triggered_at: Date | null;
}

const toAlert = (row: Row): Alert => ({
  ...(row.type === 'available_below' ? { id: row.id, type: row.type, credits: Number(row.credits) } : { id: row.id, type: row.type, percent: Number(row.percent) }),
  armed: row.armed,
  lastTriggeredAt: row.last_triggered_at?.toISOString() ?? null,
});

async function selectAlerts(db: Pool | PoolClient, orgId: string): Promise<Alert[]> {
  const { rows } = await db.query<Row>(
    `SELECT a.id, a.type, a.credits, a.percent, NOT alert_still_triggered(a, b) AS armed, a.last_triggered_at
     FROM alerts a JOIN balances b ON b.org_id = a.org_id WHERE a.org_id = $1 ORDER BY a.position`,
    [orgId],
  );
  return rows.map(toAlert);
}

export const readAlerts = (db: Pool, orgId: string): Promise<Alert[]> => selectAlerts(db, orgId);

/**
 * Replaces the organization's alerts, under the balance row's lock (so no balance change runs
 * between the arming and the save). An alert kept with the same id, type and line keeps its state;
 * any other is armed as the balance stands: one already crossed is saved triggered and does not
 * fire until re-armed. has_alerts tells the trigger whether to look at all.
 */
export async function saveAlerts(db: Pool, orgId: string, alerts: AlertDefinition[]): Promise<Alert[]> {
  return inTransaction(db, async (tx) => {
    await lockBalance(tx, orgId);
    const ids = alerts.map((a) => a.id);
    await tx.query('DELETE FROM alerts WHERE org_id = $1 AND NOT (id = ANY ($2::text[]))', [orgId, ids]);
    await tx.query(
      `INSERT INTO alerts AS a (org_id, id, position, type, credits, percent, triggered, triggered_period)
       SELECT $1, t.id, t.position, t.type, t.credits, t.percent, alert_crossed(t.type, t.credits, t.percent, b), b.period
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::smallint[]) WITH ORDINALITY AS t(id, type, credits, percent, position)
       JOIN balances b ON b.org_id = $1
       ON CONFLICT (org_id, id) DO UPDATE SET
         position = EXCLUDED.position,
         type = EXCLUDED.type, credits = EXCLUDED.credits, percent = EXCLUDED.percent,
         triggered = CASE WHEN (a.type, a.credits, a.percent) IS NOT DISTINCT FROM (EXCLUDED.type, EXCLUDED.credits, EXCLUDED.percent) THEN a.triggered ELSE EXCLUDED.triggered END,
         triggered_period = CASE WHEN (a.type, a.credits, a.percent) IS NOT DISTINCT FROM (EXCLUDED.type, EXCLUDED.credits, EXCLUDED.percent) THEN a.triggered_period ELSE EXCLUDED.triggered_period END,
         last_triggered_at = CASE WHEN (a.type, a.credits, a.percent) IS NOT DISTINCT FROM (EXCLUDED.type, EXCLUDED.credits, EXCLUDED.percent) THEN a.last_triggered_at END`,
      [
        orgId,
        ids,
        alerts.map((a) => a.type),
        alerts.map((a) => (a.type === 'available_below' ? a.credits : null)),
        alerts.map((a) => (a.type === 'plan_used_percent' ? a.percent : null)),
      ],
    );
    await tx.query('UPDATE balances SET has_alerts = $2 WHERE org_id = $1', [orgId, alerts.length > 0]);
    return selectAlerts(tx, orgId);
  });
}
