// The plain-PostgreSQL baseline: the same usage request over HTTP, one transaction per batch,
// dedupe by primary key, one UPDATE of a balance. No auth, no validation beyond JSON, no workflow.
import express from 'express';
import { createPool } from '../db/pool';

const db = createPool(process.env.DATABASE_URL!, 20);
const app = express();
app.use(express.json({ limit: '1mb' }));

app.post('/v1/orgs/:org/usage', async (req, res) => {
  const events = req.body.events as Array<{ id: string; quantity: number }>;
  const client = await db.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ credits: number }>(
      `INSERT INTO bench_baseline_events (org_id, id, credits)
       SELECT $1, * FROM unnest($2::text[], $3::bigint[]) ON CONFLICT DO NOTHING RETURNING credits`,
      [req.params.org, events.map((e) => e.id), events.map((e) => e.quantity)],
    );
    const debit = rows.reduce((sum, r) => sum + r.credits, 0);
    await client.query(
      `INSERT INTO bench_baseline_balances (org_id, credits) VALUES ($1, $2)
       ON CONFLICT (org_id) DO UPDATE SET credits = bench_baseline_balances.credits + EXCLUDED.credits`,
      [req.params.org, -debit],
    );
    await client.query('COMMIT');
    res.status(202).json({ accepted: events.length });
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    res.status(503).json({ error: { code: 'database_unavailable', message: String(err) } });
  } finally {
    client.off('error', ignore);
    client.release();
  }
});

app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => db.end().then(() => process.exit(0))));
