// The delivery relay shares dispatch fairly across organizations (issue 17, item 9): with one
// organization holding a backlog of thousands of deliveries, another organization's new delivery
// has its workflow started at once, not after the backlog; and the backlog still drains, every
// delivery started once.
import { randomBytes } from 'node:crypto';
import { createOrg, expectStatus } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const BACKLOG = 2_000;
/** Nothing listens there: the deliveries are only started here, never attempted (the worker is stopped). */
const RECEIVER = 'http://127.0.0.1:1/hooks';

async function addEndpoint(orgId: string): Promise<string> {
  const created = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/webhook-endpoints`, stack.token('owner', orgId), { url: RECEIVER }), 201);
  return created.id;
}

test("another organization's new delivery is started at once, while one organization's backlog of 2,000 waits", async () => {
  const busy = await createOrg(stack, { paymentMethodId: null });
  const quiet = await createOrg(stack, { paymentMethodId: null });
  const busyEndpoint = await addEndpoint(busy);
  const quietEndpoint = await addEndpoint(quiet);
  // The relay (in the API) starts delivery workflows; with no worker they wait in Temporal, so the
  // thousands started here cost nothing but their start.
  stack.worker.shutdown();

  await stack.db.query(
    `INSERT INTO deliveries (id, org_id, endpoint_id, channel, event_org_id, event_seq, event_type, payload)
     SELECT 'msg_' || md5($3 || g), $1, $2, 'webhook', $1, NULL, 'webhook.test', '{}' FROM generate_series(1, $4::int) g`,
    [busy, busyEndpoint, randomBytes(8).toString('hex'), BACKLOG],
  );
  const started = performance.now();
  const { deliveryId } = await expectStatus(stack.http.post(`/v1/orgs/${quiet}/webhook-endpoints/${quietEndpoint}/test`, stack.token('owner', quiet)), 202);

  const seen = await eventually(async () => {
    const { rows } = await stack.db.query<{ dispatched: number; busy_waiting: number }>(
      `SELECT (SELECT dispatched_runs FROM deliveries WHERE id = $1) AS dispatched,
              (SELECT count(*)::int FROM deliveries WHERE org_id = $2 AND requested_runs > dispatched_runs) AS busy_waiting`,
      [deliveryId, busy],
    );
    if (rows[0].dispatched !== 1) throw new Error(`the quiet organization's delivery is not started yet (${rows[0].busy_waiting} of the backlog waiting)`);
    return { ms: performance.now() - started, busyWaiting: rows[0].busy_waiting };
  }, 60_000, 10);
  expect(seen.busyWaiting).toBeGreaterThan(BACKLOG / 2);
  expect(seen.ms).toBeLessThan(2_000);

  // The backlog drains without waiting for the periodic sweep between short batches, each delivery started once.
  await eventually(async () => {
    const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE org_id = $1 AND requested_runs > dispatched_runs`, [busy]);
    if (rows[0].n !== 0) throw new Error(`${rows[0].n} still waiting`);
  }, 90_000);
  const { rows } = await stack.db.query(`SELECT dispatched_runs, count(*)::int AS n FROM deliveries WHERE org_id = $1 GROUP BY 1`, [busy]);
  expect(rows).toEqual([{ dispatched_runs: 1, n: BACKLOG }]);
}, 180_000);
