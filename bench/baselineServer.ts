// The peer: the usage endpoint as a team would write it without Temporal. Express, HS256 JWT
// verification on every request (jsonwebtoken with a KeyObject, as api/auth.ts does, same secret as
// the service), the service's own zod schema of the body (usageBody over the price book's meters),
// then one PostgreSQL transaction per batch: an insert deduplicated by primary key and one UPDATE
// of the organization's balance. No workflow, no auto-recharge, no agents, no ledger. Its allowance
// check is the same verification and one indexed read of the balance.
import { createSecretKey } from 'node:crypto';
import express from 'express';
import jwt from 'jsonwebtoken';
import { idSchema, usageBody } from '../api/schemas';
import { loadSettings } from '../config/settings';
import { usageCredits } from '../domain/pricing';
import { createPool } from '../store/pool';

const settings = loadSettings();
const meters = settings.priceBook.meters;
const schema = usageBody(Object.keys(meters));
const key = createSecretKey(Buffer.from(settings.authJwtSecret));
const db = createPool(settings.databaseUrl, 20);
const app = express();
app.use(express.json({ limit: '1mb' }));

const refuse = (res: express.Response, status: number, code: string, message: string) => res.status(status).json({ error: { code, message } });

/** The caller's token verified and its role and organization checked; false when refused (answered). */
function authorized(req: express.Request<{ org: string }>, res: express.Response, roles: readonly string[]): boolean {
  const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) {
    refuse(res, 401, 'unauthorized', 'A bearer token is required.');
    return false;
  }
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
  } catch {
    refuse(res, 401, 'unauthorized', 'The token is invalid.');
    return false;
  }
  if ((claims.org !== '*' && claims.org !== req.params.org) || !roles.includes(claims.role)) {
    refuse(res, 403, 'forbidden', 'You may not do this for this organization.');
    return false;
  }
  return true;
}

app.get('/v1/orgs/:org/agents/:agent/allowance', async (req, res) => {
  if (!authorized(req, res, ['service', 'ops', 'owner', 'member'])) return;
  if (!idSchema.safeParse(req.params.agent).success) return refuse(res, 422, 'validation_failed', 'agent: invalid id');
  try {
    const { rows } = await db.query<{ credits: number }>('SELECT credits FROM bench_baseline_balances WHERE org_id = $1', [req.params.org]);
    const allowed = (rows[0]?.credits ?? 0) > Number.MIN_SAFE_INTEGER;
    res.json({ allowed, reason: allowed ? null : 'credits_exhausted' });
  } catch (err) {
    refuse(res, 503, 'database_unavailable', String(err));
  }
});

app.post('/v1/orgs/:org/usage', async (req, res) => {
  if (!authorized(req, res, ['service', 'ops'])) return;
  const body = schema.safeParse(req.body ?? {});
  if (!body.success) return refuse(res, 422, 'validation_failed', body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { events } = body.data;

  const client = await db.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ credits: number }>(
      `INSERT INTO bench_baseline_events (org_id, id, credits)
       SELECT $1, * FROM unnest($2::text[], $3::bigint[]) ON CONFLICT DO NOTHING RETURNING credits`,
      [req.params.org, events.map((e) => e.id), events.map((e) => usageCredits(e.quantity, meters[e.meter]))],
    );
    const debit = rows.reduce((sum, r) => sum + r.credits, 0);
    await client.query(
      `INSERT INTO bench_baseline_balances (org_id, credits) VALUES ($1, $2)
       ON CONFLICT (org_id) DO UPDATE SET credits = bench_baseline_balances.credits + EXCLUDED.credits`,
      [req.params.org, -debit],
    );
    await client.query('COMMIT');
    res.status(202).json({ accepted: new Set(events.map((e) => e.id)).size });
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    refuse(res, 503, 'database_unavailable', String(err));
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
