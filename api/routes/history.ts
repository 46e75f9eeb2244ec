// The ledger and the events, read from PostgreSQL, newest first, with cursor pagination.
import { Router } from 'express';
import { recordsCommittedUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

const COMMIT_WAIT_MS = 2000;

export function historyRoutes({ orgs, workflows, db, logger, schemas }: ApiContext): Router {
  const router = Router();

  /** Read-your-writes: wait (briefly) until the workflow has committed what it applied so far. */
  async function awaitCommitted(orgId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, COMMIT_WAIT_MS)));
    try {
      await Promise.race([workflows.update(orgId, recordsCommittedUpdate), timeout]);
    } catch (err) {
      logger.warn({ err, orgId }, 'serving history without waiting for pending records');
    } finally {
      clearTimeout(timer);
    }
  }

  router.get('/v1/orgs/:org/ledger', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    await awaitCommitted(org.id);
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
    await awaitCommitted(org.id);
    const { rows } = await db.query(
      `SELECT seq::text AS id, type, at, message, data FROM events
       WHERE org_id = $1 AND ($2::bigint IS NULL OR seq < $2) ORDER BY events.seq DESC LIMIT $3`,
      [org.id, cursor ?? null, limit + 1],
    );
    const events = rows.slice(0, limit);
    res.json({ events, nextCursor: rows.length > limit ? events[events.length - 1].id : null });
  });

  return router;
}
