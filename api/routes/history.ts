// The ledger, the daily usage series and the events, read from PostgreSQL, newest first, with cursor pagination. Every write
// commits before its answer, so a read after a 202 or 200 reflects it.
import { Router, type Response } from 'express';
import { stringify } from 'csv-stringify';
import type { Pool } from 'pg';
import { readDailyUsage } from '../../store/dailyUsage';
import { listEvents } from '../../store/events';
import { listLedgerEntries } from '../../store/ledger';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function historyRoutes({ orgs, db, hotReads, schemas }: ApiContext): Router {
  const router = Router();

  router.get('/v1/orgs/:org/ledger', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      // For accounting: without a limit, every entry from the cursor on; with one, the page JSON would give.
      await sendLedgerCsv(res, db, org.id, req.query.limit === undefined ? null : limit, cursor, `ledger-${org.id}.csv`);
      return;
    }
    res.json(await listLedgerEntries(db, org.id, limit, cursor));
  });

  router.get('/v1/orgs/:org/events', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    res.json(await listEvents(db, org.id, limit, cursor));
  });

  /** Credits used per UTC day, plan, grants and wallet apart, every day of the range (zero included), for charts. */
  router.get('/v1/orgs/:org/usage/daily', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { from, to } = parse(schemas.dailyUsage, req.query, 'query');
    res.json({ days: await readDailyUsage(hotReads, org.id, from, to) });
  });

  return router;
}

const CSV_COLUMNS = ['id', 'orgId', 'at', 'kind', 'pool', 'credits', 'ref', 'grantId'] as const;
const CSV_PAGE_ROWS = 1000;

/** The ledger's rows as CSV, newest first, read and written a page at a time (memory stays bounded). */
async function sendLedgerCsv(res: Response, db: Pool, orgId: string, limit: number | null, cursor: string | undefined, filename: string): Promise<void> {
  // The first page is read before anything is sent, so a failing database still gets its error answer.
  let page = await listLedgerEntries(db, orgId, Math.min(limit ?? CSV_PAGE_ROWS, CSV_PAGE_ROWS), cursor);
  res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  if (limit !== null && page.nextCursor) res.setHeader('Next-Cursor', page.nextCursor);
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS] });
  csv.pipe(res);
  const write = (row: Record<string, unknown>) => (csv.write(row) ? Promise.resolve() : new Promise<void>((resolve) => csv.once('drain', () => resolve())));
  try {
    for (;;) {
      for (const entry of page.entries) await write({ ...entry, at: entry.at.toISOString() });
      if (limit !== null || !page.nextCursor) break;
      page = await listLedgerEntries(db, orgId, CSV_PAGE_ROWS, page.nextCursor);
    }
    csv.end();
  } catch {
    // Rows already went out: a cut-off body (no final chunk) is how the client learns it is incomplete.
    res.destroy();
  }
}
