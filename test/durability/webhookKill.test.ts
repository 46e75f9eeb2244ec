// SIGKILL the service between two attempts of a delivery, and while an event's delivery has not
// been dispatched: after a restart every delivery goes out, none twice, each under its own id.
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { signToken } from '../../api/auth';
import { createPool } from '../../store/pool';
import { recordEventIn } from '../../store/events';
import { inTransaction } from '../../store/transaction';
import { newWebhookSecret } from '../../notifications/signature';
import { freePort, ServiceProcess } from '../helpers/serviceProcess';
import { eventually, httpClient, testEnv } from '../helpers/stack';
import { WebhookReceiver } from '../helpers/webhookReceiver';

const SECRET = 'webhook-kill-secret';
let service: ServiceProcess;
let db: Pool;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  const port = await freePort();
  const env = testEnv({ AUTH_JWT_SECRET: SECRET, PORT: String(port), WEBHOOK_RETRY_SCHEDULE_MS: '0,4000', LOG_LEVEL: 'warn' });
  service = new ServiceProcess(env, `http://127.0.0.1:${port}`);
  db = createPool(process.env.TEST_DATABASE_URL!);
  await service.start();
});

afterAll(async () => {
  await service.stop();
  await db.end();
  await receiver.stop();
});

test('a worker killed between attempts goes on where it was; an undispatched delivery is not lost', async () => {
  const http = httpClient(service.url);
  const ops = signToken({ sub: 'ops', role: 'ops', org: '*' }, SECRET);
  const orgId = `hooks-${randomUUID().slice(0, 8)}`;
  const owner = signToken({ sub: 'owner', role: 'owner', org: orgId }, SECRET, 3600);
  expect((await http.post('/v1/orgs', ops, { id: orgId, name: 'Hooks' })).status).toBe(201);
  await db.query("INSERT INTO webhook_endpoints (id, org_id, url, event_types, secret) VALUES ($1, $2, $3, ARRAY['agent.updated'], $4)", [
    `we_${orgId}`,
    orgId,
    `${receiver.url}/kill`,
    newWebhookSecret(),
  ]);
  receiver.answer('/kill', { status: 500 }, { status: 200 });

  expect((await http.put(`/v1/orgs/${orgId}/agents/a`, owner, { monthlyLimitCredits: null, whenPlanExhausted: 'stop' })).status).toBe(200);
  // Between attempts: the first was answered 500 and recorded; the second is due 4 s later.
  await eventually(() => receiver.to('/kill').length === 1);
  await eventually(async () => (await db.query('SELECT attempts FROM deliveries WHERE org_id = $1', [orgId])).rows[0]?.attempts === 1);
  await service.kill();
  // An event committed just before the crash, its delivery never dispatched.
  await inTransaction(db, (tx) => recordEventIn(tx, orgId, { type: 'agent.updated', at: new Date().toISOString(), message: 'Agent b settings updated.', data: { agentId: 'b' } }));

  await service.start();
  await eventually(async () => {
    const { rows } = await db.query("SELECT status, attempts FROM deliveries WHERE org_id = $1 ORDER BY seq", [orgId]);
    expect(rows).toEqual([
      { status: 'succeeded', attempts: 2 },
      { status: 'succeeded', attempts: 1 },
    ]);
  }, 60_000);
  const ids = receiver.to('/kill').map((r) => r.headers['webhook-id'] as string);
  const perId = [...new Set(ids)].map((id) => ids.filter((x) => x === id).length);
  // The first: the 500 before the kill, its retry after; the second: once.
  expect(perId).toEqual([2, 1]);
});
