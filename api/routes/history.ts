// The ledger, the daily usage series and the events, read from PostgreSQL, newest first, with cursor pagination. Every write
// commits before its answer, so a read after a 202 or 200 reflects it.
import { Router } from 'express';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function historyRoutes({ orgs, db, schemas }: ApiContext): Router {
  const router = Router();

  router.get('/v1/orgs/:org/ledger', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    // Ordered by the bigint column: the text id of the output would sort "999" after "1004".
    const { rows } = await db.query(
      `SELECT id::text, org_id AS "orgId", at, kind, pool, credits, ref FROM ledger_entries
       WHERE org_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY ledger_entries.id DESC LIMIT $3`,
      [org.id, cursor ?? null, limit + 1],
    );
    const entries = rows.slice(0, limit);
    res.json({ entries, nextCursor: rows.length > limit ? entries[entries.length - 1].id : null });
  });

  router.get('/v1/orgs/:org/events', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    const { rows } = await db.query(
      `SELECT seq::text AS id, type, at, message, data FROM events
       WHERE org_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY events.seq DESC LIMIT $3`,
      [org.id, cursor ?? null, limit + 1],
    );
    const events = rows.slice(0, limit);
    res.json({ events, nextCursor: rows.length > limit ? events[events.length - 1].id : null });
  });

  /** Credits used per UTC day, plan and wallet apart, every day of the range (zero included), for charts. */
  router.get('/v1/orgs/:org/usage/daily', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { from, to } = parse(schemas.dailyUsage, req.query, 'query');
    const { rows } = await db.query<{ date: string; plan: number; wallet: number }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS date,
         COALESCE(-SUM(l.credits) FILTER (WHERE l.pool = 'plan'), 0)::bigint AS plan,
         COALESCE(-SUM(l.credits) FILTER (WHERE l.pool = 'top_up'), 0)::bigint AS wallet
       FROM generate_series($2::date, $3::date, interval '1 day') AS d
       LEFT JOIN ledger_entries l ON l.org_id = $1 AND l.kind = 'usage'
         AND l.at >= d AT TIME ZONE 'UTC' AND l.at < (d + interval '1 day') AT TIME ZONE 'UTC'
       GROUP BY d ORDER BY d`,
      [org.id, from, to],
    );
    res.json({ days: rows.map((r) => ({ date: r.date, planCredits: Number(r.plan), walletCredits: Number(r.wallet) })) });
  });

  return router;
}
