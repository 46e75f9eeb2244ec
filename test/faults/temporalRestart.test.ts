// With usage streaming in (every request sent twice), the Temporal server stops and starts again
// on its persisted state. Usage and reads need only PostgreSQL and go on; commands answer 503
// meanwhile; a threshold crossing during the outage is signalled once Temporal is back. Nothing
// that got a 202 is lost or applied twice.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { findTemporalCli, SEARCH_ATTRIBUTE_FLAGS } from '../../worker/temporalCli';
import { createOrg, expectLedgerMatches, messages, postUsage, settled, summary } from '../helpers/billing';
import { freePort } from '../helpers/serviceProcess';
import { eventually, startStack, type Stack } from '../helpers/stack';

const dbFilename = path.join(mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-')), 'temporal.sqlite');
let address: string;
let server: ChildProcess;
let stack: Stack;

/** The Temporal CLI's dev server on a fixed port and SQLite file, so a restart keeps every workflow. */
async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(findTemporalCli(process.env.TEMPORAL_CLI_PATH)!, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFilename, '--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS], { stdio: 'ignore' });
  await eventually(async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
    } finally {
      await connection.close();
    }
  }, 90_000, 200);
  return child;
}

async function stopServer(): Promise<void> {
  if (server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  server = await startServer(port);
  stack = await startStack({ TEMPORAL_ADDRESS: address });
});
afterAll(async () => {
  await stack.stop();
  await stopServer();
});

test('while Temporal is down usage and reads go on; a crossing meanwhile recharges once it is back', async () => {
  const orgs = [await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null }), await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null })];
  const recharging = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 5 } });
  const service = stack.token('service');
  const ops = stack.token('ops');
  const accepted = new Map<string, Set<string>>(orgs.map((o) => [o, new Set()]));
  const statuses: number[] = [];
  let stopped = false;

  // Each request is sent twice at once; its events count once they got a 202.
  const send = async (orgId: string, events: Array<{ id: string }>) => {
    const res = await stack.http.post(`/v1/orgs/${orgId}/usage`, service, { events }).catch(() => ({ status: 0 }));
    statuses.push(res.status);
    if (res.status === 202) for (const e of events) accepted.get(orgId)!.add(e.id);
  };
  let n = 0;
  const streamer = (async () => {
    while (!stopped) {
      const i = n++;
      const orgId = orgs[i % orgs.length];
      const events = Array.from({ length: 5 }, (_, k) => ({ id: `r${i}-${k}`, agentId: 'a', meter: 'message', quantity: 1 }));
      await Promise.all([send(orgId, events), send(orgId, events)]);
    }
  })();

  await eventually(() => statuses.length > 40);
  await stopServer();
  const sentBeforeOutage = statuses.length;
  // Usage is recorded in PostgreSQL alone: it goes on being accepted.
  await eventually(() => statuses.length > sentBeforeOutage + 40, 30_000);
  // The crossing's signal cannot reach the workflow now; it stays pending in PostgreSQL.
  await postUsage(stack, recharging, messages(60));
  const pending = await stack.db.query('SELECT signal_pending FROM balances WHERE org_id = $1', [recharging]);
  expect(pending.rows[0].signal_pending).toBe(true);
  // Reads come from PostgreSQL; a command needs the workflow and says which dependency is down.
  expect((await stack.http.get(`/v1/orgs/${orgs[0]}/billing`, ops)).status).toBe(200);
  expect((await stack.http.get(`/v1/orgs/${orgs[0]}/agents/a/allowance`, service)).body).toEqual({ allowed: true, reason: null });
  const command = await stack.http.put(`/v1/orgs/${orgs[0]}/auto-recharge`, stack.token('owner', orgs[0]), { enabled: false, thresholdCredits: 0, rechargeCredits: 500, maxRechargesPerMonth: 5 });
  expect(command.status).toBe(503);
  expect(command.body.error.code).toBe('temporal_unavailable');

  server = await startServer(Number(address.split(':')[1]));
  const sentAfterRestart = statuses.length;
  await eventually(() => statuses.length > sentAfterRestart + 40, 60_000);
  stopped = true;
  await streamer;

  expect(statuses.filter((s) => s !== 202)).toEqual([]);
  for (const orgId of orgs) {
    const ids = accepted.get(orgId)!;
    const s = await summary(stack, orgId);
    expect(s.planCredits.remaining).toBe(1_000_000 - ids.size);
    await expectLedgerMatches(stack, orgId);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1', [orgId]);
    expect(rows[0].n).toBe(ids.size);
  }
  // The sweep after the failed signal delivers it: one recharge, for the one crossing.
  const s = await settled(stack, recharging, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(100 - 60 + 500);
  await expectLedgerMatches(stack, recharging);
});
