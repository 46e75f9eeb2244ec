// While PostgreSQL stalls, uncommitted records pile up in the workflow; continue-as-new must not
// carry them all (a run's input has a size limit): writes go on until the outbox is small.
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, expectLedgerMatches, messages, postUsage, settled, stallUsageWrites } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

const MAX_CARRIED_RECORDS = 50;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: '40', MAX_CARRIED_RECORDS: String(MAX_CARRIED_RECORDS) });
});
afterAll(() => stack.stop());

test('after a stall, continue-as-new carries at most one write of records', async () => {
  const orgId = await createOrg(stack, { planCredits: 100_000, paymentMethodId: null });
  const release = await stallUsageWrites(stack);
  try {
    for (let i = 0; i < 20; i++) await postUsage(stack, orgId, messages(30));
  } finally {
    await release();
  }
  const s = await settled(stack, orgId);
  expect(s.planCredits.remaining).toBe(100_000 - 600);
  await expectLedgerMatches(stack, orgId);

  let continued = 0;
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const payload = e.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0];
      if (!payload) continue;
      continued++;
      const { state } = JSON.parse(Buffer.from(payload.data!).toString());
      expect(state.outbox.length).toBeLessThanOrEqual(MAX_CARRIED_RECORDS);
    }
  }
  expect(continued).toBeGreaterThan(0);
});
