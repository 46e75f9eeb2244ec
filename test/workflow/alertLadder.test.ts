// An alert ladder through a period and a renewal, on the real stack: usage fires each rung once in
// its own transaction, the workflow's renewal re-arms them (plan credits back: available above the
// lines, and a new period for plan_used_percent), and every alert.triggered reaches the
// organization's webhook endpoint through the outbox.
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { WebhookReceiver } from '../helpers/webhookReceiver';

let stack: Stack;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  stack = await startStack();
});
afterAll(async () => {
  await stack.stop();
  await receiver.stop();
});

const LADDER = [
  { id: 'below-500', type: 'available_below', credits: 500 },
  { id: 'empty', type: 'available_below', credits: 1 },
  { id: 'half-plan', type: 'plan_used_percent', percent: 50 },
  { id: 'most-plan', type: 'plan_used_percent', percent: 90 },
];

test('an alert ladder fires each rung once in a period, and again after the renewal re-arms it', async () => {
  const periodEnd = new Date(Date.now() + 15_000).toISOString();
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, periodEnd });
  const owner = stack.token('owner', orgId);
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/webhook-endpoints`, owner, { url: `${receiver.url}/alerts-${orgId}`, eventTypes: ['alert.triggered'] }), 201);
  const saved = await expectStatus(stack.http.put(`/v1/orgs/${orgId}/alerts`, owner, { alerts: LADDER }), 200);
  expect(saved.alerts).toEqual(LADDER.map((a) => ({ ...a, armed: true, lastTriggeredAt: null })));

  const fired = async () => (await eventsOf(stack, orgId)).filter((e) => e.type === 'alert.triggered').reverse();
  const armed = async () => (await expectStatus(stack.http.get(`/v1/orgs/${orgId}/alerts`, stack.token('member', orgId)), 200)).alerts.map((a: { armed: boolean }) => a.armed);

  await postUsage(stack, orgId, messages(600)); // available 400, 60% of the plan used
  await postUsage(stack, orgId, messages(350)); // available 50, 95%
  await postUsage(stack, orgId, messages(100)); // available -50: the wallet in debt
  await postUsage(stack, orgId, messages(10)); // still below every line: nothing more
  const during = await summary(stack, orgId);
  expect(during.nextRenewalAt).toBe(periodEnd); // the period's usage all came before the renewal
  expect((await fired()).map((e) => e.data.alert.id)).toEqual(['below-500', 'half-plan', 'most-plan', 'empty']);
  expect((await fired())[1].data).toEqual({ alert: LADDER[2], availableCredits: 400, planUsedPercent: 60, planCreditsUsed: 600, planCreditsGranted: 1000 });
  expect(await armed()).toEqual([false, false, false, false]);

  // The workflow renews at the period end: plan credits back to 1000 (available 940), a new period.
  await eventually(async () => expect((await summary(stack, orgId)).nextRenewalAt).not.toBe(periodEnd), 60_000);
  expect(await armed()).toEqual([true, true, true, true]);

  await postUsage(stack, orgId, messages(500)); // available 440, 50% of the new period's plan
  expect((await fired()).map((e) => e.data.alert.id)).toEqual(['below-500', 'half-plan', 'most-plan', 'empty', 'below-500', 'half-plan']);
  expect((await fired())[4]).toMatchObject({ message: 'Alert below-500: available credits (440) fell below 500.', data: { alert: LADDER[0], availableCredits: 440 } });
  expect(await armed()).toEqual([false, true, false, true]);

  // Each reached the endpoint, once.
  const delivered = await eventually(() => {
    const bodies = receiver.to(`/alerts-${orgId}`).map((r) => JSON.parse(r.body));
    expect(bodies).toHaveLength(6);
    return bodies;
  });
  expect(delivered.map((b) => [b.type, b.data.event.data.alert.id]).sort()).toEqual(
    ['below-500', 'half-plan', 'most-plan', 'empty', 'below-500', 'half-plan'].map((id) => ['alert.triggered', id]).sort(),
  );
  await expectLedgerMatches(stack, orgId);
});
