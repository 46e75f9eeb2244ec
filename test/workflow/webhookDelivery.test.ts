// Webhook delivery against a real local receiver: signatures a receiver verifies with its secret,
// retries with the same webhook-id, 410 and long failure disabling the endpoint, event-type
// filtering, rotation, the delivery log, agencies, and a slow endpoint holding up nothing else.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { sendWebhook } from '../../notifications/sendWebhook';
import { newWebhookSecret } from '../../notifications/signature';
import { deliveryWorkflowId } from '../../workflows/messages';
import { createOrg, eventsOf, expectStatus, messages, postUsage } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { WebhookReceiver } from '../helpers/webhookReceiver';

let stack: Stack;
const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.start();
  stack = await startStack({ WEBHOOK_RETRY_SCHEDULE_MS: '0,300,300', WEBHOOK_TIMEOUT_MS: '1500' });
});
afterAll(async () => {
  await stack.stop();
  await receiver.stop();
});

let endpointCount = 0;
/** An endpoint of the organization, as the API stores it. */
async function endpoint(orgId: string, options: { eventTypes?: string[]; includeSubAccounts?: boolean } = {}) {
  const path = `/hook-${++endpointCount}`;
  const id = `we_${randomBytes(12).toString('hex')}`;
  const secret = newWebhookSecret();
  await stack.db.query(
    'INSERT INTO webhook_endpoints (id, org_id, url, event_types, include_sub_accounts, secret) VALUES ($1, $2, $3, $4, $5, $6)',
    [id, orgId, `${receiver.url}${path}`, options.eventTypes ?? null, options.includeSubAccounts ?? false, secret],
  );
  return { id, path, secret };
}

/** The first request the receiver got at `path`, once it came. */
function arrived(path: string) {
  return eventually(() => {
    const [first] = receiver.to(path);
    if (!first) throw new Error(`nothing at ${path} yet`);
    return first;
  });
}

async function deliveriesOf(endpointId: string) {
  const { rows } = await stack.db.query('SELECT id, event_type, status, attempts, last_status_code FROM deliveries WHERE endpoint_id = $1 ORDER BY seq', [endpointId]);
  return rows;
}

test('every event reaches the endpoint, signed so that a receiver verifies it with its secret', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const hook = await endpoint(orgId);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status: 'active', planCredits: 200, currentPeriodEnd: new Date(Date.now() + 86400_000).toISOString() }), 200);
  const request = await arrived(hook.path);
  const verified = new Webhook(hook.secret.slice('whsec_'.length)).verify(request.body, {
    'webhook-id': request.headers['webhook-id'] as string,
    'webhook-timestamp': request.headers['webhook-timestamp'] as string,
    'webhook-signature': request.headers['webhook-signature'] as string,
  }) as any;
  const [event] = (await eventsOf(stack, orgId)).filter((e) => e.type === 'subscription.updated').slice(0, 1);
  expect(verified).toEqual({
    type: 'subscription.updated',
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    data: { orgId, event: { id: event.id, type: 'subscription.updated', at: expect.any(String), message: event.message, data: event.data } },
  });
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['webhook-id']).toMatch(/^msg_/);
  // A tampered body fails the same verification.
  expect(() => new Webhook(hook.secret.slice('whsec_'.length)).verify(request.body.replace('200', '900'), request.headers as Record<string, string>)).toThrow();
  await eventually(async () => expect(await deliveriesOf(hook.id)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, last_status_code: 200 })]));
});

test('a 500 is retried on the schedule with the same webhook-id, then succeeds once', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const hook = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(hook.path, { status: 500 }, { status: 503, headers: { 'retry-after': '1' } }, { status: 200 });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: 5, whenPlanExhausted: 'stop' }), 200);
  await eventually(async () => expect(await deliveriesOf(hook.id)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 3, last_status_code: 200 })]), 20_000);
  const attempts = receiver.to(hook.path);
  expect(attempts).toHaveLength(3);
  expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
  expect(attempts.map((a) => JSON.parse(a.body).type)).toEqual(['agent.updated', 'agent.updated', 'agent.updated']);
  // Retry-After: 1 on the 503 stretched the schedule's 300 ms to a second.
  expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(1000);
});

test('a Retry-After beyond 24 h is clamped and one that is no number of seconds or date is ignored: one POST per attempt, each recorded', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const far = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(far.path, { status: 503, headers: { 'retry-after': '99999999999999' } });
  const garbage = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(garbage.path, { status: 429, headers: { 'retry-after': '1e300' } });
  const before = Date.now();
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);

  // The far one: its attempt is recorded, and its workflow waits on a timer of at most 24 h for the next.
  await eventually(async () => expect(await deliveriesOf(far.id)).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, last_status_code: 503 })]));
  const { rows } = await stack.db.query<{ id: string; next_attempt_at: Date }>('SELECT id, next_attempt_at FROM deliveries WHERE endpoint_id = $1', [far.id]);
  const day = 24 * 60 * 60 * 1000;
  expect(rows[0].next_attempt_at.getTime() - before).toBeGreaterThan(day - 60_000);
  expect(rows[0].next_attempt_at.getTime() - Date.now()).toBeLessThanOrEqual(day);
  const timerMs = await eventually(async () => {
    const { events } = await stack.client.workflow.getHandle(deliveryWorkflowId(rows[0].id, 1)).fetchHistory();
    const timers = (events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [e.timerStartedEventAttributes.startToFireTimeout!] : []));
    if (timers.length === 0) throw new Error('no timer yet');
    return timers.map((t) => Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6));
  });
  expect(timerMs).toEqual([day]);
  expect(receiver.to(far.path)).toHaveLength(1);

  // The garbage one: the schedule goes on as if there were no Retry-After, one POST per attempt.
  await eventually(async () => expect(await deliveriesOf(garbage.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 3, last_status_code: 429 })]), 20_000);
  expect(receiver.to(garbage.path)).toHaveLength(3);
});

test('after the last attempt a delivery is failed; a 410 disables the endpoint and says so', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const failing = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(failing.path, { status: 500 });
  const gone = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(gone.path, { status: 410 });
  const watcher = await endpoint(orgId, { eventTypes: ['webhook_endpoint.disabled'] });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);

  await eventually(async () => expect(await deliveriesOf(failing.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 3, last_status_code: 500 })]), 20_000);
  expect(receiver.to(failing.path)).toHaveLength(3);
  await eventually(async () => expect(await deliveriesOf(gone.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, last_status_code: 410 })]));
  const { rows } = await stack.db.query('SELECT id, enabled, disabled_reason FROM webhook_endpoints WHERE org_id = $1 ORDER BY id', [orgId]);
  expect(rows.find((r) => r.id === gone.id)).toEqual({ id: gone.id, enabled: false, disabled_reason: 'The endpoint answered 410 Gone.' });
  expect(rows.find((r) => r.id === failing.id)?.enabled).toBe(true);
  const disabled = (await eventsOf(stack, orgId)).filter((e) => e.type === 'webhook_endpoint.disabled');
  expect(disabled).toEqual([expect.objectContaining({ data: expect.objectContaining({ endpointId: gone.id, reason: 'The endpoint answered 410 Gone.' }) })]);
  await eventually(() => receiver.to(watcher.path).length === 1);
  // A disabled endpoint gets nothing more.
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/b`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  await eventually(() => receiver.to(failing.path).length >= 4);
  expect(receiver.to(gone.path)).toHaveLength(1);
});

test('an endpoint gets only its event types; an agency endpoint with includeSubAccounts also gets its sub-accounts\'', async () => {
  const agency = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const sub = await createOrg(stack, { planCredits: 100, paymentMethodId: null, parentId: agency });
  const lowOnly = await endpoint(sub, { eventTypes: ['balance.low'] });
  const monitoring = await endpoint(agency, { includeSubAccounts: true, eventTypes: ['balance.low'] });
  const ownOnly = await endpoint(agency, { eventTypes: ['balance.low'] });
  await postUsage(stack, sub, messages(150));
  await eventually(() => receiver.to(lowOnly.path).length === 1 && receiver.to(monitoring.path).length === 1);
  expect(JSON.parse(receiver.to(monitoring.path)[0].body).data.orgId).toBe(sub);
  await expectStatus(stack.http.put(`/v1/orgs/${sub}/agents/a`, stack.token('owner', sub), { monthlyLimitCredits: 1, whenPlanExhausted: 'stop' }), 200);
  // Deliveries are created with the event, in its transaction: what is not in the table never goes out.
  expect((await deliveriesOf(lowOnly.id)).map((d) => d.event_type)).toEqual(['balance.low']);
  expect((await deliveriesOf(monitoring.id)).map((d) => d.event_type)).toEqual(['balance.low']);
  expect(await deliveriesOf(ownOnly.id)).toEqual([]);
});

test('an endpoint whose every delivery failed for WEBHOOK_DISABLE_AFTER_MS is disabled', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const hook = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(hook.path, { status: 502 });
  // It has failed for six days already (the default limit is five).
  await stack.db.query("UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1", [hook.id]);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  await eventually(async () => expect(await deliveriesOf(hook.id)).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, last_status_code: 502 })]));
  const { rows } = await stack.db.query('SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = $1', [hook.id]);
  expect(rows[0]).toEqual({ enabled: false, disabled_reason: expect.stringMatching(/^Every delivery failed since /) });
  expect((await eventsOf(stack, orgId)).map((e) => e.type)).toContain('webhook_endpoint.disabled');
});

async function rotate(orgId: string, endpointId: string): Promise<string> {
  return (await expectStatus(stack.http.post(`/v1/orgs/${orgId}/webhook-endpoints/${endpointId}/rotate-secret`, stack.token('owner', orgId)), 200)).secret;
}

function verifies(secret: string, request: { body: string; headers: Record<string, unknown> }): boolean {
  try {
    new Webhook(secret.slice('whsec_'.length)).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

const signatures = (request: { headers: Record<string, unknown> }) => (request.headers['webhook-signature'] as string).split(' ');

test('after two rotations a delivery is signed with all three secrets; one rotated out over 24 hours ago no longer signs', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const hook = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  const first = await rotate(orgId, hook.id);
  const second = await rotate(orgId, hook.id);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  const request = await arrived(hook.path);
  expect(signatures(request)).toHaveLength(3);
  for (const secret of [hook.secret, first, second]) expect(verifies(secret, request)).toBe(true);
  expect(verifies(newWebhookSecret(), request)).toBe(false);

  await stack.db.query("UPDATE webhook_endpoint_retired_secrets SET expires_at = now() - interval '1 second' WHERE endpoint_id = $1 AND secret = $2", [hook.id, hook.secret]);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/b`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  const later = await eventually(() => receiver.to(hook.path)[1] ?? false);
  expect(signatures(later)).toHaveLength(2);
  expect([hook.secret, first, second].map((secret) => verifies(secret, later))).toEqual([false, true, true]);
});

test('concurrent rotations serialize: the last answered is the signing secret, and every secret returned keeps signing', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const hook = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  const answered: string[] = [];
  const returned = await Promise.all([1, 2, 3].map(async () => {
    const secret = await rotate(orgId, hook.id);
    answered.push(secret);
    return secret;
  }));
  expect(new Set(returned).size).toBe(3);
  const { rows } = await stack.db.query('SELECT secret FROM webhook_endpoints WHERE id = $1', [hook.id]);
  expect(rows[0].secret).toBe(answered[2]);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  const request = await arrived(hook.path);
  expect(signatures(request)).toHaveLength(4);
  for (const secret of [hook.secret, ...returned]) expect(verifies(secret, request)).toBe(true);
});

test('a slow endpoint holds up nothing else: other endpoints and billing go on', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const slow = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  receiver.answer(slow.path, 'hang');
  const quick = await endpoint(orgId, { eventTypes: ['agent.updated'] });
  const started = Date.now();
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  await postUsage(stack, orgId, messages(10));
  await eventually(() => receiver.to(quick.path).length === 1);
  // The quick one came while the slow one still hangs (its timeout is 1.5 s).
  expect(receiver.to(quick.path)[0].at - started).toBeLessThan(1500);
  await eventually(async () => expect((await deliveriesOf(slow.id))[0]).toMatchObject({ status: 'failed', attempts: 3, last_status_code: null }), 20_000);
});

test('in production a URL that resolves into the server\'s own network is refused at delivery, and nothing is sent', async () => {
  const before = receiver.received.length;
  const answer = await sendWebhook({ url: `${receiver.url}/private`, webhookId: 'msg_x', body: '{}', secrets: [newWebhookSecret()], timeoutMs: 1000, allowPrivate: false });
  expect(answer).toEqual({ statusCode: null, error: expect.stringContaining('not a public address'), retryAfterMs: null });
  const viaName = await sendWebhook({ url: receiver.url.replace('127.0.0.1', 'localhost') + '/private', webhookId: 'msg_y', body: '{}', secrets: [newWebhookSecret()], timeoutMs: 1000, allowPrivate: false });
  expect(viaName.error).toContain('not a public address');
  expect(receiver.received.length).toBe(before);
});
