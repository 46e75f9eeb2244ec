// The usage path is one PostgreSQL transaction: balances change only with their ledger entries,
// duplicates are recorded once everywhere, client ids cannot suppress other entries, agents live
// in PostgreSQL, and every read answers without the worker.
import { Client } from 'pg';
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, expectStatus, ledgerSums, messages, postUsage, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const allowance = (orgId: string, agentId: string) => expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/${agentId}/allowance`, stack.token('service')), 200);

test('concurrent requests for one organization: the ledger sums equal the balance in every committed state', async () => {
  const orgId = await createOrg(stack, { planCredits: 3000, paymentMethodId: null });
  // A reader that sees every snapshot it can while usage commits: balance and ledger never disagree.
  const reader = new Client({ connectionString: stack.settings.databaseUrl });
  await reader.connect();
  let writing = true;
  const snapshots: Array<{ balance: number; ledger: number; plan: number; planLedger: number }> = [];
  const watching = (async () => {
    while (writing) {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await reader.query(
        `SELECT b.plan_remaining + b.wallet AS balance, b.plan_remaining AS plan,
           (SELECT COALESCE(SUM(credits), 0) FROM ledger_entries WHERE org_id = $1)::bigint AS ledger,
           (SELECT COALESCE(SUM(credits), 0) FROM ledger_entries WHERE org_id = $1 AND pool = 'plan')::bigint AS plan_ledger
         FROM balances b WHERE b.org_id = $1`,
        [orgId],
      );
      await reader.query('COMMIT');
      snapshots.push({ balance: rows[0].balance, ledger: rows[0].ledger, plan: rows[0].plan, planLedger: rows[0].plan_ledger });
    }
  })();
  await Promise.all(Array.from({ length: 16 }, (_, i) => postUsage(stack, orgId, messages(250, `agent-${i % 4}`))));
  writing = false;
  await watching;
  await reader.end();

  expect(snapshots.length).toBeGreaterThan(1);
  for (const s of snapshots) {
    expect(s.balance).toBe(s.ledger);
    expect(s.plan).toBe(s.planLedger);
  }
  const s = await summary(stack, orgId);
  expect(s.availableCredits).toBe(3000 - 16 * 250);
  expect(s.planCredits.remaining).toBe(0);
  expect(s.topUpCredits).toBe(-1000);
  expect(s.agents.map((a) => a.spentThisMonth)).toEqual([1000, 1000, 1000, 1000]);
  await expectLedgerMatches(stack, orgId);
});

test('an id twice in one batch is one event: counted, debited and shown once', async () => {
  const orgId = await createOrg(stack, { planCredits: 500, paymentMethodId: null });
  const event = { id: 'twice', agentId: 'a', meter: 'message', quantity: 400 };
  const answer = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events: [event, event] }), 202);
  expect(answer).toEqual({ accepted: 1 });
  expect(await allowance(orgId, 'a')).toEqual({ allowed: true, reason: null });
  expect((await summary(stack, orgId)).availableCredits).toBe(100);
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND ref = $2', [orgId, 'twice']);
  expect(rows[0].n).toBe(1);
});

test("a client's usage id named like a payment or a renewal suppresses no entry (refs are scoped by kind)", async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_visa' });
  // The next payment id of this organization is predictable: pay_<its first run id>_1.
  const description = await stack.client.workflow.getHandle(workflowIdFor(orgId)).describe();
  const prefix = description.runId.replace(/-/g, '');
  // renewal-1 takes the plan pool's 100, pay_…_1 the wallet's 400: the same pools as the entries they are named like.
  await postUsage(stack, orgId, [
    { id: 'renewal-1', agentId: 'a', meter: 'message', quantity: 100 },
    { id: `pay_${prefix}_1`, agentId: 'a', meter: 'message', quantity: 400 },
  ]);
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 2000, maxRechargesPerMonth: 1 });
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(100 - 500 + 2000);
  const recharge = await stack.db.query("SELECT ref, credits FROM ledger_entries WHERE org_id = $1 AND kind = 'auto_recharge'", [orgId]);
  expect(recharge.rows).toEqual([{ ref: `pay_${prefix}_1`, credits: 2000 }]);
  // createOrg's subscription wrote renewal-1 (plan_renewal) and the usage its own renewal-1: both stand.
  const renewals = await stack.db.query("SELECT kind, credits FROM ledger_entries WHERE org_id = $1 AND ref = 'renewal-1' ORDER BY kind", [orgId]);
  expect(renewals.rows).toEqual([
    { kind: 'plan_renewal', credits: 100 },
    { kind: 'usage', credits: -100 },
  ]);
  await expectLedgerMatches(stack, orgId);
});

test('30,000 agents: billing answers, nothing is lost, and the workflow holds none of them', async () => {
  const orgId = await createOrg(stack, { planCredits: 100_000, paymentMethodId: null });
  const agentName = (i: number) => `agent-${'x'.repeat(100)}-${i}`;
  for (let r = 0; r < 30; r++) {
    await postUsage(
      stack,
      orgId,
      Array.from({ length: 1000 }, (_, i) => ({ id: `many-${r}-${i}`, agentId: agentName(r * 1000 + i), meter: 'message', quantity: 2 })),
    );
  }
  const s = await summary(stack, orgId);
  expect(s.agents).toHaveLength(100);
  expect(s.agentCount).toBe(30_000);
  expect(s.availableCredits).toBe(100_000 - 60_000);
  expect(s.agents.every((a) => a.spentThisMonth === 2)).toBe(true);
  await expectLedgerMatches(stack, orgId);
  // The workflow's history never saw the usage: it stays as small as the organization's decisions.
  const history = await stack.client.workflow.getHandle(workflowIdFor(orgId)).fetchHistory();
  expect(JSON.stringify(history).length).toBeLessThan(100_000);
  expect(JSON.stringify(history)).not.toContain(agentName(0));
});

test('with the worker stopped, billing, allowance, ledger and events answer and reflect usage sent since', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/stopper`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  await postUsage(stack, orgId, messages(4, 'stopper'));
  const ops = stack.token('ops');
  stack.worker.shutdown();
  await eventually(() => stack.worker.getState() === 'STOPPED');
  await postUsage(stack, orgId, messages(6, 'other'));
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(await allowance(orgId, 'other')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  const s = await summary(stack, orgId);
  expect(s.availableCredits).toBe(0);
  expect(s.agents.map((a) => [a.id, a.spentThisMonth])).toEqual([
    ['other', 6],
    ['stopper', 4],
  ]);
  const ledger = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger?limit=500`, ops), 200);
  expect(ledger.entries.filter((e: { kind: string }) => e.kind === 'usage')).toHaveLength(10);
  expect((await eventsOf(stack, orgId)).map((e) => e.type)).toContain('agent.updated');
  expect(await ledgerSums(stack.db, orgId)).toEqual({ plan: 0, wallet: 0 });
});
