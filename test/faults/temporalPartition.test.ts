// An API partitioned from Temporal (through a proxy that forwards nothing and answers nothing):
// commands answer 503 temporal_unavailable with Retry-After within TEMPORAL_COMMAND_TIMEOUT_MS,
// rather than when gRPC reconnects; a top-up whose charge takes longer than that deadline is not
// cut by it; /healthz counts each outage from its own start.
import { startApi, type ApiServer } from '../../api/server';
import { loadSettings } from '../../config/settings';
import { createOrg, expectStatus } from '../helpers/billing';
import { PartitionableProxy } from '../helpers/partitionableProxy';
import { eventually, httpClient, startStack, testEnv, uniqueOrgId, type Http, type Stack } from '../helpers/stack';

const COMMAND_TIMEOUT_MS = 1500;
const CHARGE_DELAY_MS = 3000;
const LIVENESS_GRACE_MS = 2000;

let stack: Stack;
let proxy: PartitionableProxy;
let api: ApiServer;
let http: Http;

beforeAll(async () => {
  const env = { TEMPORAL_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS), SANDBOX_CHARGE_DELAY_MS: String(CHARGE_DELAY_MS) };
  stack = await startStack(env);
  proxy = new PartitionableProxy(stack.settings.temporal.address!);
  await proxy.start();
  // A second API on the stack's task queue, reaching Temporal through the proxy only.
  const settings = loadSettings(
    testEnv({ ...env, TEMPORAL_TASK_QUEUE: stack.settings.temporal.taskQueue, TEMPORAL_LIVENESS_GRACE_MS: String(LIVENESS_GRACE_MS), DELIVERY_RELAY: 'false' }),
  );
  api = await startApi(settings, stack.db, proxy.address, 0);
  http = httpClient(api.url);
});
afterAll(async () => {
  proxy.heal();
  await api.close();
  await proxy.stop();
  await stack.stop();
});

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
  ms: number;
}

async function timed(method: string, path: string, token: string, body: unknown): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: json.error?.code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}

const autoRechargeOff = { enabled: false, thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 3 };

/** A command through the proxied API, once Temporal answers it again (gRPC reconnects after a heal). */
const reachable = (orgId: string) =>
  eventually(async () => (await http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), autoRechargeOff)).status === 200, 60_000, 250);

test('partitioned from Temporal, every kind of command answers 503 temporal_unavailable with Retry-After within its deadline', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const owner = stack.token('owner', orgId);
  const ops = stack.token('ops');
  await reachable(orgId);
  proxy.partition();
  try {
    const answers = [
      await timed('PUT', `/v1/orgs/${orgId}/auto-recharge`, owner, autoRechargeOff), // an update
      await timed('PUT', `/v1/orgs/${orgId}/subscription`, ops, { status: 'active', planCredits: 5, currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() }),
      await timed('POST', '/v1/orgs', ops, { id: uniqueOrgId('partitioned'), name: 'Partitioned' }), // a workflow start
    ];
    for (const answer of answers) {
      expect(answer).toEqual({ status: 503, code: 'temporal_unavailable', retryAfter: expect.stringMatching(/^\d+$/), ms: expect.any(Number) });
      expect(answer.ms).toBeLessThan(COMMAND_TIMEOUT_MS + 1500);
    }
  } finally {
    proxy.heal();
  }
  // Back: the same command goes through, and the refused one changed nothing.
  await reachable(orgId);
  expect((await expectStatus(stack.http.get(`/v1/orgs/${orgId}/billing`, owner), 200)).planCredits.allowance).toBe(1000);
});

test('a top-up whose charge takes longer than the command deadline completes: the deadline ends at acceptance', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  await reachable(orgId);
  const started = Date.now();
  const answer = await fetch(`${api.url}/v1/orgs/${orgId}/top-ups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token('owner', orgId)}`, 'content-type': 'application/json', 'idempotency-key': 'slow-charge' },
    body: JSON.stringify({ credits: 1000 }),
  });
  const tookMs = Date.now() - started;
  expect(answer.status).toBe(201);
  expect(((await answer.json()) as { topUp: { status: string } }).topUp.status).toBe('succeeded');
  // It answered after the charge, well past the command deadline.
  expect(tookMs).toBeGreaterThanOrEqual(CHARGE_DELAY_MS);
  expect(tookMs).toBeGreaterThan(COMMAND_TIMEOUT_MS);
  const { rows } = await stack.db.query<{ wallet: number }>('SELECT wallet::int FROM balances WHERE org_id = $1', [orgId]);
  expect(rows[0].wallet).toBe(1000);
});

test('/healthz counts each outage from its own start: one after a recovery reports its own age', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  await reachable(orgId);
  proxy.partition();
  try {
    await eventually(async () => (await http.get('/healthz')).status === 503, 20_000, 250);
  } finally {
    proxy.heal();
  }
  // Temporal answers again: a command gets through (no health check is asked meanwhile).
  await reachable(orgId);

  proxy.partition();
  const lostAgainAt = Date.now();
  try {
    expect(await http.get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const unhealthy = await eventually(async () => {
      const res = await http.get('/healthz');
      if (res.status !== 503) throw new Error(`still live: ${res.status}`);
      return res;
    }, 20_000, 250);
    const reportedSeconds = Number(/not answered for (\d+) s/.exec(unhealthy.body.reason)?.[1]);
    expect(reportedSeconds * 1000).toBeGreaterThanOrEqual(LIVENESS_GRACE_MS - 500);
    expect(reportedSeconds * 1000).toBeLessThanOrEqual(Date.now() - lostAgainAt + 500);
  } finally {
    proxy.heal();
  }
});
