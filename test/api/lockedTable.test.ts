// A table locked by another session (a migration, a stuck transaction) stalls nothing for long:
// statements give up after DATABASE_LOCK_TIMEOUT_MS (USAGE_LOCK_TIMEOUT_MS for usage writes) /
// DATABASE_STATEMENT_TIMEOUT_MS, a request waits DATABASE_POOL_WAIT_MS at most for a connection,
// each answers 503 database_unavailable with Retry-After (never temporal_unavailable), and neither
// /readyz nor another organization's allowance and billing queue behind the stuck writes.
import pg from 'pg';
import { createOrg, messages } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  ms: number;
}

async function timed(stack: Stack, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${stack.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: json.error?.code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
}

/** Runs `work` while a second session holds `lock` (a LOCK TABLE statement) in an open transaction. */
async function whileLocked<T>(stack: Stack, lock: string, work: () => Promise<T>): Promise<T> {
  const holder = new pg.Client({ connectionString: stack.settings.databaseUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lock);
    return await work();
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
}

const unavailable = { status: 503, code: 'database_unavailable', retryAfter: expect.stringMatching(/^\d+$/) };

describe('lock and statement timeouts, pool wait', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Writes for one organization queue on its balance row, then wait on the table: each lock wait
    // gives up after 3 s (0.5 s for usage writes), the statement after 4 s whatever it waited on.
    stack = await startStack({ DATABASE_LOCK_TIMEOUT_MS: '3000', USAGE_LOCK_TIMEOUT_MS: '500', DATABASE_STATEMENT_TIMEOUT_MS: '4000', DATABASE_POOL_WAIT_MS: '500' });
  });
  afterAll(() => stack.stop());

  /** Sessions of the test database waiting on a lock. */
  async function lockWaiters(): Promise<number> {
    const { rows } = await stack.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    return rows[0].n;
  }

  test('usage against locked usage and ledger tables answers 503 within the usage lock timeout while another organization\'s allowance and billing answer at once', async () => {
    const busy = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
    const other = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
    const service = stack.token('service');
    const ops = stack.token('ops');
    await whileLocked(stack, 'LOCK TABLE usage_events, ledger_entries IN EXCLUSIVE MODE', async () => {
      // Twelve writes wait on the lock: they hold every connection of the API's usage pool (10).
      const writes = Array.from({ length: 12 }, () => timed(stack, 'POST', `/v1/orgs/${busy}/usage`, service, { events: messages(5) }));
      await eventually(async () => (await lockWaiters()) >= 10, 5_000, 20);
      const readyStarted = Date.now();
      const ready = await fetch(`${stack.api.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      expect({ status: ready.status, fast: Date.now() - readyStarted < 1_000 }).toEqual({ status: 200, fast: true });
      // Another organization's hot reads have connections of their own: they answer at once.
      for (let i = 0; i < 3; i++) {
        const allowance = await timed(stack, 'GET', `/v1/orgs/${other}/agents/a/allowance`, service);
        const billing = await timed(stack, 'GET', `/v1/orgs/${other}/billing`, ops);
        expect({ allowance: allowance.status, billing: billing.status }).toEqual({ allowance: 200, billing: 200 });
        expect(Math.max(allowance.ms, billing.ms)).toBeLessThan(500);
      }
      for (const write of await Promise.all(writes)) {
        expect(write).toMatchObject(unavailable);
        // A few usage lock waits of 0.5 s (its organization's balance row, then the table; the last
        // two writes: 0.5 s of pool wait), where the general lock timeout alone is 3 s.
        expect(write.ms).toBeLessThan(3_000);
      }
    });
    expect((await timed(stack, 'POST', `/v1/orgs/${busy}/usage`, service, { events: messages(5) })).status).toBe(202);
  });

  test('an allowance check on a locked balances table is database_unavailable, not temporal_unavailable', async () => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const read = await whileLocked(stack, 'LOCK TABLE balances IN ACCESS EXCLUSIVE MODE', () => timed(stack, 'GET', `/v1/orgs/${orgId}/agents/a/allowance`, stack.token('service')));
    expect(read).toMatchObject(unavailable);
    expect(read.ms).toBeLessThan(5_000);
  });
});

describe('statement timeout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ DATABASE_LOCK_TIMEOUT_MS: '0', DATABASE_STATEMENT_TIMEOUT_MS: '1000' });
  });
  afterAll(() => stack.stop());

  test('a statement cancelled by the statement timeout answers 503 database_unavailable', async () => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const write = await whileLocked(stack, 'LOCK TABLE usage_events IN EXCLUSIVE MODE', () => timed(stack, 'POST', `/v1/orgs/${orgId}/usage`, stack.token('service'), { events: messages(1) }));
    expect(write).toMatchObject(unavailable);
    expect(write.ms).toBeLessThan(4_000);
  });
});
