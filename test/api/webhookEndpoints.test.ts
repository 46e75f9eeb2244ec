// Webhook endpoints, their delivery log and the owner's e-mail setting through the REST API (issue
// 11): what is stored, what is shown (a secret only on creation and rotation), the URL policy, the
// deliveries a test or a retry requests, and bad input that changes nothing. Sending is not tested here.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_EMAIL_EVENT_TYPES } from '../../domain/eventTypes';
import { createOrg, expectStatus } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { bareOrg, expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  // Deliveries are written here, not sent: no relay picks them up while a test reads them.
  stack = await startStack({ DELIVERY_RELAY: 'false' });
});
afterAll(() => stack.stop());

const RECEIVER = 'http://127.0.0.1:1/hooks';
const NO_SUCH_ENDPOINT = 'we_000000000000000000000000';
const ENDPOINT_KEYS = ['createdAt', 'description', 'disabledReason', 'enabled', 'eventTypes', 'id', 'includeSubAccounts', 'url'];

const endpoints = (orgId: string) => `/v1/orgs/${orgId}/webhook-endpoints`;
const patch = (path: string, token: string, body: unknown) => stack.http.request('PATCH', path, token, body);

async function addEndpoint(orgId: string, body: Record<string, unknown> = {}) {
  return expectStatus(stack.http.post(endpoints(orgId), stack.token('owner', orgId), { url: RECEIVER, ...body }), 201);
}

async function listed(orgId: string) {
  return (await expectStatus(stack.http.get(endpoints(orgId), stack.token('ops')), 200)).endpoints;
}

async function endpointRow(id: string) {
  const { rows } = await stack.db.query('SELECT * FROM webhook_endpoints WHERE id = $1', [id]);
  return rows[0];
}

async function retiredSecrets(id: string): Promise<Array<{ secret: string; expires_at: Date }>> {
  const { rows } = await stack.db.query('SELECT secret, expires_at FROM webhook_endpoint_retired_secrets WHERE endpoint_id = $1 ORDER BY expires_at', [id]);
  return rows;
}

/** A delivery row as the trigger writes one, already attempted (`status`), for the log and retries. */
async function insertDelivery(orgId: string, endpointId: string, eventSeq: number, status = 'failed'): Promise<string> {
  const id = `msg_${randomBytes(16).toString('hex')}`;
  await stack.db.query(
    `INSERT INTO deliveries (id, org_id, endpoint_id, channel, event_org_id, event_seq, event_type, payload, status, attempts, last_status_code, requested_runs, dispatched_runs)
     VALUES ($1, $2, $3, 'webhook', $2, $4, 'balance.low', '{}', $5, 8, 500, 1, 1)`,
    [id, orgId, endpointId, eventSeq, status],
  );
  return id;
}

describe('endpoints', () => {
  test('creating answers the endpoint and its secret once; listing never shows a secret', async () => {
    const orgId = await createOrg(stack);
    const created = await addEndpoint(orgId, { description: 'Production receiver' });
    expect(sortedKeys(created)).toEqual([...ENDPOINT_KEYS, 'secret'].sort());
    expect(created).toEqual({
      id: expect.stringMatching(/^we_[0-9a-f]{24}$/),
      url: RECEIVER,
      eventTypes: ['*'],
      description: 'Production receiver',
      includeSubAccounts: false,
      enabled: true,
      disabledReason: null,
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/),
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(await endpointRow(created.id)).toMatchObject({ org_id: orgId, event_types: null, secret: created.secret });

    const { secret: _secret, ...shown } = created;
    expect(await listed(orgId)).toEqual([shown]);
    const asMember = await expectStatus(stack.http.get(endpoints(orgId), stack.token('member', orgId)), 200);
    expect(JSON.stringify(asMember)).not.toContain(created.secret);
  });

  test('event types: ["*"] or omitted is stored as NULL (every type), a list as given', async () => {
    const orgId = await createOrg(stack);
    const all = await addEndpoint(orgId, { eventTypes: ['*'] });
    const some = await addEndpoint(orgId, { eventTypes: ['auto_recharge.failed', 'balance.low'] });
    expect(all.eventTypes).toEqual(['*']);
    expect(some.eventTypes).toEqual(['auto_recharge.failed', 'balance.low']);
    expect((await endpointRow(all.id)).event_types).toBeNull();
    expect((await endpointRow(some.id)).event_types).toEqual(['auto_recharge.failed', 'balance.low']);
  });

  test('an event creates deliveries for the endpoints subscribed to its type only', async () => {
    const orgId = await createOrg(stack);
    const agents = await addEndpoint(orgId, { eventTypes: ['agent.updated'] });
    const lowBalance = await addEndpoint(orgId, { eventTypes: ['balance.low'] });
    const everything = await addEndpoint(orgId);
    const disabled = await addEndpoint(orgId);
    await expectStatus(patch(`${endpoints(orgId)}/${disabled.id}`, stack.token('owner', orgId), { enabled: false }), 200);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/a1`, stack.token('owner', orgId), { monthlyLimitCredits: 10, whenPlanExhausted: 'stop' }), 200);
    const { rows } = await stack.db.query('SELECT endpoint_id, event_type FROM deliveries WHERE org_id = $1 ORDER BY endpoint_id', [orgId]);
    expect(rows).toEqual(
      [agents.id, everything.id].sort().map((endpoint_id) => ({ endpoint_id, event_type: 'agent.updated' })),
    );
    expect(rows.map((r) => r.endpoint_id)).not.toContain(lowBalance.id);
  });

  test('PATCH changes the fields given and keeps the rest; enabled: true clears the reason and the failing streak', async () => {
    const orgId = await createOrg(stack);
    const owner = stack.token('owner', orgId);
    const created = await addEndpoint(orgId, { eventTypes: ['balance.low'], description: 'first' });
    const path = `${endpoints(orgId)}/${created.id}`;

    const changed = await expectStatus(patch(path, owner, { url: 'https://example.com/hooks', description: null }), 200);
    expect(changed).toEqual({ ...created, secret: undefined, url: 'https://example.com/hooks', description: null });
    expect(sortedKeys(changed)).toEqual(ENDPOINT_KEYS);
    expect(await expectStatus(patch(path, owner, { eventTypes: ['*'], includeSubAccounts: true }), 200)).toMatchObject({ eventTypes: ['*'], includeSubAccounts: true });
    expect((await endpointRow(created.id)).event_types).toBeNull();

    expect(await expectStatus(patch(path, owner, { enabled: false }), 200)).toMatchObject({ enabled: false, disabledReason: 'Disabled through the API.' });
    // As the delivery engine leaves an endpoint it disabled.
    await stack.db.query(`UPDATE webhook_endpoints SET disabled_reason = 'The endpoint answered 410 Gone.', failing_since = now() - interval '6 days' WHERE id = $1`, [created.id]);
    expect(await expectStatus(patch(path, owner, { enabled: false }), 200)).toMatchObject({ disabledReason: 'The endpoint answered 410 Gone.' });
    expect(await expectStatus(patch(path, owner, { enabled: true }), 200)).toMatchObject({ enabled: true, disabledReason: null });
    expect((await endpointRow(created.id)).failing_since).toBeNull();

    expect(await expectStatus(patch(path, owner, {}), 200)).toEqual(await listed(orgId).then((l) => l[0]));
  });

  test('DELETE removes the endpoint; its deliveries stay in the table without it', async () => {
    const orgId = await createOrg(stack);
    const owner = stack.token('owner', orgId);
    const kept = await addEndpoint(orgId);
    const removed = await addEndpoint(orgId);
    const deliveryId = await insertDelivery(orgId, removed.id, 1);
    expect((await stack.http.del(`${endpoints(orgId)}/${removed.id}`, owner)).status).toBe(204);
    expect((await listed(orgId)).map((e: { id: string }) => e.id)).toEqual([kept.id]);
    expectError(await stack.http.del(`${endpoints(orgId)}/${removed.id}`, owner), 404, 'webhook_endpoint_not_found');
    expectError(await patch(`${endpoints(orgId)}/${removed.id}`, owner, { enabled: true }), 404, 'webhook_endpoint_not_found');
    const { rows } = await stack.db.query('SELECT endpoint_id FROM deliveries WHERE id = $1', [deliveryId]);
    expect(rows).toEqual([{ endpoint_id: null }]);
  });

  test('rotating answers a new secret and keeps the previous one for 24 hours', async () => {
    const orgId = await createOrg(stack);
    const created = await addEndpoint(orgId);
    const rotated = await expectStatus(stack.http.post(`${endpoints(orgId)}/${created.id}/rotate-secret`, stack.token('ops')), 200);
    expect(sortedKeys(rotated)).toEqual(['secret']);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    expect(await endpointRow(created.id)).toMatchObject({ secret: rotated.secret });
    const [retired, ...more] = await retiredSecrets(created.id);
    expect(more).toEqual([]);
    expect(retired.secret).toBe(created.secret);
    expect(retired.expires_at.getTime() - Date.now()).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(retired.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(JSON.stringify(await listed(orgId))).not.toContain('whsec_');
  });

  test('at most 10 secrets rotated out sign at once: another rotation is refused until the oldest expires', async () => {
    const orgId = await createOrg(stack);
    const created = await addEndpoint(orgId);
    const rotate = () => stack.http.post(`${endpoints(orgId)}/${created.id}/rotate-secret`, stack.token('owner', orgId));
    const secrets: string[] = [];
    for (let i = 0; i < 10; i++) secrets.push((await expectStatus(rotate(), 200)).secret);
    const refused = await fetch(`${stack.api.url}${endpoints(orgId)}/${created.id}/rotate-secret`, { method: 'POST', headers: { authorization: `Bearer ${stack.token('owner', orgId)}` } });
    expectError({ status: refused.status, body: await refused.json() }, 429, 'too_many_rotations');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(24 * 3600 - 60);
    expect((await endpointRow(created.id)).secret).toBe(secrets[9]);
    expect(await retiredSecrets(created.id)).toHaveLength(10);
    // Once the oldest has expired, the next rotation goes through.
    await stack.db.query("UPDATE webhook_endpoint_retired_secrets SET expires_at = now() - interval '1 second' WHERE endpoint_id = $1 AND secret = $2", [created.id, created.secret]);
    await expectStatus(rotate(), 200);
    expect((await retiredSecrets(created.id)).map((r) => r.secret)).not.toContain(created.secret);
  });

  test('includeSubAccounts is accepted on any organization, with or without sub-accounts', async () => {
    const agency = await createOrg(stack);
    await createOrg(stack, { parentId: agency });
    const lone = await createOrg(stack);
    expect(await addEndpoint(agency, { includeSubAccounts: true })).toMatchObject({ includeSubAccounts: true });
    expect(await addEndpoint(lone, { includeSubAccounts: true })).toMatchObject({ includeSubAccounts: true });
  });

  test("another organization's endpoint is not found on every route, and changes nothing", async () => {
    const mine = await createOrg(stack);
    const theirs = await createOrg(stack);
    const theirEndpoint = await addEndpoint(theirs, { description: 'theirs' });
    const deliveryId = await insertDelivery(theirs, theirEndpoint.id, 1);
    const ops = stack.token('ops');
    const path = `${endpoints(mine)}/${theirEndpoint.id}`;
    for (const res of [
      await patch(path, ops, { description: 'mine now' }),
      await stack.http.del(path, ops),
      await stack.http.post(`${path}/rotate-secret`, ops),
      await stack.http.post(`${path}/test`, ops),
      await stack.http.get(`${path}/deliveries`, ops),
      await stack.http.post(`${path}/deliveries/${deliveryId}/retry`, ops),
    ]) {
      expectError(res, 404, 'webhook_endpoint_not_found');
    }
    const { secret: _secret, ...shown } = theirEndpoint;
    expect(await listed(theirs)).toEqual([shown]);
    expect(await endpointRow(theirEndpoint.id)).toMatchObject({ secret: theirEndpoint.secret });
    expect(await retiredSecrets(theirEndpoint.id)).toEqual([]);
    expect((await stack.db.query('SELECT count(*)::int AS n FROM deliveries WHERE endpoint_id = $1', [theirEndpoint.id])).rows[0].n).toBe(1);
  });
});

describe('at most 20 endpoints per organization', () => {
  const endpointCount = async (orgId: string) =>
    (await stack.db.query('SELECT count(*)::int AS n FROM webhook_endpoints WHERE org_id = $1', [orgId])).rows[0].n;

  test('the 21st endpoint is 409 endpoint_limit_reached and creates nothing; deleting one makes room', async () => {
    const orgId = await createOrg(stack);
    const created = [];
    for (let i = 0; i < 20; i++) created.push(await addEndpoint(orgId, { description: `receiver ${i}` }));
    // A disabled endpoint counts too: enabling it needs no room.
    await expectStatus(patch(`${endpoints(orgId)}/${created[0].id}`, stack.token('owner', orgId), { enabled: false }), 200);
    const refused = await stack.http.post(endpoints(orgId), stack.token('owner', orgId), { url: RECEIVER });
    expectError(refused, 409, 'endpoint_limit_reached', 'An organization has at most 20 webhook endpoints; delete one before adding another.');
    expect(await endpointCount(orgId)).toBe(20);
    // Another organization's room is its own.
    await addEndpoint(await createOrg(stack));

    await expectStatus(stack.http.del(`${endpoints(orgId)}/${created[1].id}`, stack.token('owner', orgId)), 204);
    await addEndpoint(orgId);
    expect(await endpointCount(orgId)).toBe(20);
  });

  test('30 concurrent creations on a new organization: 20 are created, 10 refused', async () => {
    const orgId = await createOrg(stack);
    const answers = await Promise.all(Array.from({ length: 30 }, () => stack.http.post(endpoints(orgId), stack.token('owner', orgId), { url: RECEIVER })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(20);
    for (const refused of answers.filter((a) => a.status !== 201)) expectError(refused, 409, 'endpoint_limit_reached');
    expect(await endpointCount(orgId)).toBe(20);
    expect(await listed(orgId)).toHaveLength(20);
  });
});

describe('bad input changes nothing', () => {
  test.each([
    ['no url', {}],
    ['a url that is not absolute', { url: '/hooks' }],
    ['an ftp url', { url: 'ftp://example.com/x' }],
    ['a url with credentials', { url: 'https://user:pw@example.com/x' }],
    ['a url over 2000 characters', { url: `https://example.com/${'a'.repeat(2000)}` }],
    ['a url that is not a string', { url: 42 }],
    ['an unknown event type', { url: RECEIVER, eventTypes: ['balance.low', 'balance.high'] }],
    ['the test event type', { url: RECEIVER, eventTypes: ['webhook.test'] }],
    ['no event type', { url: RECEIVER, eventTypes: [] }],
    ['a repeated event type', { url: RECEIVER, eventTypes: ['balance.low', 'balance.low'] }],
    ['"*" with other types', { url: RECEIVER, eventTypes: ['*', 'balance.low'] }],
    ['event types as a string', { url: RECEIVER, eventTypes: 'balance.low' }],
    ['a description with a control character', { url: RECEIVER, description: 'a\u0000b' }],
    ['a description over 500 characters', { url: RECEIVER, description: 'd'.repeat(501) }],
    ['includeSubAccounts as a string', { url: RECEIVER, includeSubAccounts: 'true' }],
    ['enabled on creation', { url: RECEIVER, enabled: false }],
    ['an unknown field', { url: RECEIVER, secret: 'whsec_mine' }],
  ])('creating with %s is 422 and creates nothing', async (_name, body) => {
    const orgId = await bareOrg(stack);
    expectError(await stack.http.post(endpoints(orgId), stack.token('owner', orgId), body), 422, 'validation_failed');
    expect(await listed(orgId)).toEqual([]);
  });

  test.each([
    ['an ftp url', { url: 'ftp://example.com/x' }],
    ['a null url', { url: null }],
    ['an unknown event type', { eventTypes: ['nope'] }],
    ['enabled as a string', { enabled: 'false' }],
    ['a good field beside a bad one', { description: 'changed', enabled: 'yes' }],
    ['an unknown field', { secret: 'whsec_mine' }],
  ])('PATCH with %s is 422 and changes nothing', async (_name, body) => {
    const orgId = await bareOrg(stack);
    const created = await addEndpoint(orgId, { description: 'before' });
    const before = await endpointRow(created.id);
    expectError(await patch(`${endpoints(orgId)}/${created.id}`, stack.token('owner', orgId), body), 422, 'validation_failed');
    expect(await endpointRow(created.id)).toEqual(before);
  });

  test('a URL refusal names the field and says why', async () => {
    const orgId = await bareOrg(stack);
    const res = await stack.http.post(endpoints(orgId), stack.token('owner', orgId), { url: 'ftp://example.com/x' });
    expectError(res, 422, 'validation_failed', 'url: must be an http or https URL');
  });

  test.each([
    ['not an endpoint id', 'hook-1', 422],
    ['upper-case hex', 'we_ABCDEF000000000000000000', 422],
    ['a NUL byte', 'we_%00', 422],
    ['a well-formed id no endpoint has', NO_SUCH_ENDPOINT, 404],
  ])('an endpoint id that is %s is %i on every route', async (_name, id, status) => {
    const orgId = await bareOrg(stack);
    const ops = stack.token('ops');
    const path = `${endpoints(orgId)}/${id}`;
    for (const res of [
      await patch(path, ops, { description: 'x' }),
      await stack.http.del(path, ops),
      await stack.http.post(`${path}/rotate-secret`, ops),
      await stack.http.post(`${path}/test`, ops),
      await stack.http.get(`${path}/deliveries`, ops),
      await stack.http.post(`${path}/deliveries/msg_${'0'.repeat(32)}/retry`, ops),
    ]) {
      if (status === 422) {
        expectError(res, 422, 'validation_failed');
        expect(res.body.error.message).toMatch(/^id: /);
      } else expectError(res, 404, 'webhook_endpoint_not_found');
    }
    expect((await stack.db.query('SELECT count(*)::int AS n FROM deliveries WHERE org_id = $1', [orgId])).rows[0].n).toBe(0);
  });
});

describe('the URL policy', () => {
  test('outside production (WEBHOOK_ALLOW_PRIVATE_URLS unset) loopback and private addresses are allowed', async () => {
    const orgId = await bareOrg(stack);
    for (const url of ['http://127.0.0.1:1/x', 'http://10.0.0.1/', 'http://localhost:8080/hooks', 'http://[::1]/']) {
      expect(await addEndpoint(orgId, { url })).toMatchObject({ url });
    }
  });

  describe('with WEBHOOK_ALLOW_PRIVATE_URLS=false', () => {
    let strict: Stack;
    beforeAll(async () => {
      strict = await startStack({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false', DELIVERY_RELAY: 'false' });
    });
    afterAll(() => strict.stop());

    test.each([
      ['http://127.0.0.1:1/x', 'must not point at a private, loopback or link-local address'],
      ['http://10.0.0.1/', 'must not point at a private, loopback or link-local address'],
      ['http://169.254.169.254/latest/meta-data', 'must not point at a private, loopback or link-local address'],
      ['http://[::1]/', 'must not point at a private, loopback or link-local address'],
      ['http://localhost/', "must not point at this server's own network"],
      ['http://localhost./', "must not point at this server's own network"],
      ['http://intranet/hooks', "must name a fully qualified host (a single-label name resolves inside this server's network)"],
      ['http://[::7f00:1]/', 'must not point at a private, loopback or link-local address'],
      ['http://[64:ff9b::7f00:1]/', 'must not point at a private, loopback or link-local address'],
      ['http://[2002:7f00:1::]/', 'must not point at a private, loopback or link-local address'],
      ['http://[fec0::1]/', 'must not point at a private, loopback or link-local address'],
      ['ftp://x', 'must be an http or https URL'],
    ])('%s is refused on creation and on PATCH', async (url, reason) => {
      const orgId = await bareOrg(strict);
      const owner = strict.token('owner', orgId);
      expectError(await strict.http.post(endpoints(orgId), owner, { url }), 422, 'validation_failed', `url: ${reason}`);
      const created = await expectStatus(strict.http.post(endpoints(orgId), owner, { url: 'https://example.com/hooks' }), 201);
      expectError(await strict.http.request('PATCH', `${endpoints(orgId)}/${created.id}`, owner, { url }), 422, 'validation_failed', `url: ${reason}`);
      const all = await expectStatus(strict.http.get(endpoints(orgId), owner), 200);
      expect(all.endpoints.map((e: { url: string }) => e.url)).toEqual(['https://example.com/hooks']);
    });

    test('a host name and a public address are accepted (a name is checked again as resolved, at delivery)', async () => {
      const orgId = await bareOrg(strict);
      for (const url of ['https://hooks.example.com/x', 'https://[2606:4700:4700::1111]/hooks']) {
        expect(await expectStatus(strict.http.post(endpoints(orgId), strict.token('ops'), { url }), 201)).toMatchObject({ url });
      }
    });
  });
});

describe('test deliveries', () => {
  test('the test route writes one pending webhook.test delivery for that endpoint and wakes the relay', async () => {
    const orgId = await createOrg(stack);
    const target = await addEndpoint(orgId);
    const bystander = await addEndpoint(orgId);
    const listener = new pg.Client({ connectionString: stack.settings.databaseUrl });
    await listener.connect();
    try {
      await listener.query('LISTEN deliveries');
      const woken = new Promise((resolve) => listener.once('notification', resolve));
      const answer = await expectStatus(stack.http.post(`${endpoints(orgId)}/${target.id}/test`, stack.token('owner', orgId)), 202);
      expect(answer).toEqual({ deliveryId: expect.stringMatching(/^msg_[0-9a-f]{32}$/) });
      await expect(woken).resolves.toMatchObject({ channel: 'deliveries' });

      const { rows } = await stack.db.query('SELECT * FROM deliveries WHERE org_id = $1', [orgId]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        id: answer.deliveryId,
        org_id: orgId,
        endpoint_id: target.id,
        channel: 'webhook',
        event_org_id: orgId,
        event_seq: null,
        event_type: 'webhook.test',
        requested_runs: 1,
      });
      expect(rows[0].endpoint_id).not.toBe(bystander.id);
      const { payload } = rows[0];
      expect(payload).toEqual({
        type: 'webhook.test',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        data: { orgId, event: { id: null, type: 'webhook.test', at: payload.timestamp, message: 'Test event from credits billing.', data: {} } },
      });
    } finally {
      await listener.end();
    }
  });

  test('a disabled endpoint is not sent a test: 409 endpoint_disabled', async () => {
    const orgId = await createOrg(stack);
    const created = await addEndpoint(orgId);
    await expectStatus(patch(`${endpoints(orgId)}/${created.id}`, stack.token('owner', orgId), { enabled: false }), 200);
    expectError(await stack.http.post(`${endpoints(orgId)}/${created.id}/test`, stack.token('owner', orgId)), 409, 'endpoint_disabled');
    expect((await stack.db.query('SELECT count(*)::int AS n FROM deliveries WHERE org_id = $1', [orgId])).rows[0].n).toBe(0);
  });
});

describe('the delivery log', () => {
  test('newest first, paged by cursor, this endpoint only', async () => {
    const orgId = await bareOrg(stack);
    const created = await addEndpoint(orgId);
    const other = await addEndpoint(orgId);
    const ids: string[] = [];
    for (let seq = 1; seq <= 5; seq++) ids.push(await insertDelivery(orgId, created.id, seq, seq % 2 ? 'failed' : 'succeeded'));
    await insertDelivery(orgId, other.id, 6);
    const path = `${endpoints(orgId)}/${created.id}/deliveries`;

    const first = await expectStatus(stack.http.get(`${path}?limit=2`, stack.token('member', orgId)), 200);
    expect(sortedKeys(first)).toEqual(['deliveries', 'nextCursor']);
    expect(first.deliveries[0]).toEqual({
      id: ids[4],
      eventId: '5',
      eventType: 'balance.low',
      status: 'failed',
      attempts: 8,
      lastStatusCode: 500,
      nextAttemptAt: null,
      createdAt: expect.any(String),
    });
    expect(first.nextCursor).toMatch(/^\d+$/);
    const second = await expectStatus(stack.http.get(`${path}?limit=2&cursor=${first.nextCursor}`, stack.token('ops')), 200);
    const third = await expectStatus(stack.http.get(`${path}?limit=2&cursor=${second.nextCursor}`, stack.token('ops')), 200);
    expect(third.nextCursor).toBeNull();
    expect([...first.deliveries, ...second.deliveries, ...third.deliveries].map((d: { id: string }) => d.id)).toEqual([...ids].reverse());
    expect((await expectStatus(stack.http.get(path, stack.token('ops')), 200)).deliveries).toHaveLength(5);
  });

  test.each([['limit=0'], ['limit=501'], ['limit=x'], ['cursor=abc'], ['cursor=-1']])('%s is 422', async (query) => {
    const orgId = await bareOrg(stack);
    const created = await addEndpoint(orgId);
    expectError(await stack.http.get(`${endpoints(orgId)}/${created.id}/deliveries?${query}`, stack.token('ops')), 422, 'validation_failed');
  });

  test('an agency reads its sub-account\'s endpoints and log, never a secret', async () => {
    const agency = await createOrg(stack);
    const sub = await createOrg(stack, { parentId: agency });
    const created = await addEndpoint(sub);
    const agencyOwner = stack.token('owner', agency);
    const seen = await expectStatus(stack.http.get(endpoints(sub), agencyOwner), 200);
    expect(seen.endpoints.map((e: { id: string }) => e.id)).toEqual([created.id]);
    expect(JSON.stringify(seen)).not.toContain('whsec_');
    await expectStatus(stack.http.get(`${endpoints(sub)}/${created.id}/deliveries`, agencyOwner), 200);
  });
});

describe('manual retries', () => {
  async function retriable() {
    const orgId = await bareOrg(stack);
    const created = await addEndpoint(orgId);
    const deliveryId = await insertDelivery(orgId, created.id, 1, 'failed');
    return { orgId, created, deliveryId, path: `${endpoints(orgId)}/${created.id}/deliveries/${deliveryId}/retry` };
  }
  const runs = async (id: string) => (await stack.db.query('SELECT status, requested_runs, dispatched_runs FROM deliveries WHERE id = $1', [id])).rows[0];

  test('a failed delivery is requested once more under the same id; while pending, again is 409', async () => {
    const { orgId, deliveryId, path } = await retriable();
    expect(await expectStatus(stack.http.post(path, stack.token('owner', orgId)), 202)).toEqual({ deliveryId });
    expect(await runs(deliveryId)).toMatchObject({ status: 'pending', requested_runs: 2 });
    expectError(await stack.http.post(path, stack.token('owner', orgId)), 409, 'delivery_in_progress');
    expect(await runs(deliveryId)).toMatchObject({ requested_runs: 2 });
  });

  test('a delivery of another endpoint, or none, is 404; a malformed id is 422', async () => {
    const { orgId, created, deliveryId } = await retriable();
    const other = await addEndpoint(orgId);
    const ops = stack.token('ops');
    expectError(await stack.http.post(`${endpoints(orgId)}/${other.id}/deliveries/${deliveryId}/retry`, ops), 404, 'delivery_not_found');
    expectError(await stack.http.post(`${endpoints(orgId)}/${created.id}/deliveries/msg_${'f'.repeat(32)}/retry`, ops), 404, 'delivery_not_found');
    const malformed = await stack.http.post(`${endpoints(orgId)}/${created.id}/deliveries/evt-1/retry`, ops);
    expectError(malformed, 422, 'validation_failed');
    expect(malformed.body.error.message).toMatch(/^deliveryId: /);
    expect(await runs(deliveryId)).toMatchObject({ status: 'failed', requested_runs: 1 });
  });

  test('a delivery of a disabled endpoint is 409 endpoint_disabled', async () => {
    const { orgId, created, deliveryId, path } = await retriable();
    await expectStatus(patch(`${endpoints(orgId)}/${created.id}`, stack.token('ops'), { enabled: false }), 200);
    expectError(await stack.http.post(path, stack.token('ops')), 409, 'endpoint_disabled');
    expect(await runs(deliveryId)).toMatchObject({ status: 'failed', requested_runs: 1 });
  });
});

describe('e-mail notifications', () => {
  const settingsPath = (orgId: string) => `/v1/orgs/${orgId}/notifications`;

  test('no address until one is set; the event types default to what needs a person', async () => {
    const orgId = await bareOrg(stack);
    const owner = stack.token('owner', orgId);
    expect(await expectStatus(stack.http.get(settingsPath(orgId), stack.token('member', orgId)), 200)).toEqual({ email: null, eventTypes: DEFAULT_EMAIL_EVENT_TYPES });
    expect(await expectStatus(stack.http.put(settingsPath(orgId), owner, { email: 'owner@example.com' }), 200)).toEqual({ email: 'owner@example.com', eventTypes: DEFAULT_EMAIL_EVENT_TYPES });
    const chosen = { email: 'billing@example.org', eventTypes: ['balance.low', 'top_up.failed'] };
    expect(await expectStatus(stack.http.put(settingsPath(orgId), stack.token('ops'), chosen), 200)).toEqual(chosen);
    expect(await expectStatus(stack.http.get(settingsPath(orgId), owner), 200)).toEqual(chosen);
    expect(await expectStatus(stack.http.put(settingsPath(orgId), owner, { email: null }), 200)).toEqual({ email: null, eventTypes: DEFAULT_EMAIL_EVENT_TYPES });
  });

  test.each([
    ['an invalid address', { email: 'not-an-address' }],
    ['an address with a space', { email: 'owner @example.com' }],
    ['an address with a newline', { email: 'owner@example.com\nBcc: x@example.com' }],
    ['no email field', { eventTypes: ['balance.low'] }],
    ['an unknown event type', { email: 'owner@example.com', eventTypes: ['balance.high'] }],
    ['"*" as an event type', { email: 'owner@example.com', eventTypes: ['*'] }],
    ['no event type', { email: 'owner@example.com', eventTypes: [] }],
    ['an unknown field', { email: 'owner@example.com', cc: 'x@example.com' }],
  ])('%s is 422 and changes nothing', async (_name, body) => {
    const orgId = await bareOrg(stack);
    const owner = stack.token('owner', orgId);
    const before = { email: 'owner@example.com', eventTypes: ['auto_recharge.failed'] };
    await expectStatus(stack.http.put(settingsPath(orgId), owner, before), 200);
    expectError(await stack.http.put(settingsPath(orgId), owner, body), 422, 'validation_failed');
    expect(await expectStatus(stack.http.get(settingsPath(orgId), owner), 200)).toEqual(before);
  });
});
