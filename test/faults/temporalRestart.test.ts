// With usage streaming in (every request sent twice), the Temporal server stops and starts again
// on its persisted state: the API answers 503 meanwhile, nothing that got a 202 is lost or applied
// twice, and every organization's workflow continues.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { findTemporalCli } from '../../worker/temporalCli';
import { createOrg, expectLedgerMatches, settled } from '../helpers/billing';
import { freePort } from '../helpers/serviceProcess';
import { eventually, startStack, type Stack } from '../helpers/stack';

const dbFilename = path.join(mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-')), 'temporal.sqlite');
let address: string;
let server: ChildProcess;
let stack: Stack;

/** The Temporal CLI's dev server on a fixed port and SQLite file, so a restart keeps every workflow. */
async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(findTemporalCli(process.env.TEMPORAL_CLI_PATH)!, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', dbFilename, '--log-level', 'error'], { stdio: 'ignore' });
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

test('a Temporal restart under load loses nothing and applies nothing twice', async () => {
  const orgs = [await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null }), await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null })];
  const service = stack.token('service');
  const accepted = new Map<string, Set<string>>(orgs.map((o) => [o, new Set()]));
  const outcomes = { accepted: 0, unavailable: 0, other: 0 };
  let serverDown = false;
  let stopped = false;

  // Each request is sent twice at once; its events count once they got a 202.
  const send = async (orgId: string, events: Array<{ id: string }>) => {
    const res = await stack.http.post(`/v1/orgs/${orgId}/usage`, service, { events }).catch(() => ({ status: 0 }));
    if (res.status === 202) {
      outcomes.accepted++;
      for (const e of events) accepted.get(orgId)!.add(e.id);
    } else if (res.status === 503) outcomes.unavailable++;
    else outcomes.other++;
    return res.status === 202;
  };
  let n = 0;
  const streamer = (async () => {
    while (!stopped) {
      const i = n++;
      const orgId = orgs[i % orgs.length];
      const events = Array.from({ length: 5 }, (_, k) => ({ id: `r${i}-${k}`, agentId: 'a', meter: 'message', quantity: 1 }));
      // While the server is down, the client retries what got no 202.
      for (let attempt = 0; attempt < 200; attempt++) {
        const [a, b] = await Promise.all([send(orgId, events), send(orgId, events)]);
        if (a || b || !serverDown) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  })();

  await eventually(() => outcomes.accepted > 20);
  serverDown = true;
  await stopServer();
  await eventually(() => outcomes.unavailable > 0, 30_000);
  server = await startServer(Number(address.split(':')[1]));
  serverDown = false;
  const acceptedBefore = outcomes.accepted;
  await eventually(() => outcomes.accepted > acceptedBefore + 20, 60_000);
  stopped = true;
  await streamer;

  expect(outcomes.other).toBe(0);
  for (const orgId of orgs) {
    const ids = accepted.get(orgId)!;
    const s = await settled(stack, orgId, (x) => x.agents[0]?.spentThisMonth === ids.size);
    expect(s.planCredits.remaining).toBe(1_000_000 - ids.size);
    await expectLedgerMatches(stack, orgId);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1', [orgId]);
    expect(rows[0].n).toBe(ids.size);
  }
});
