// Usage events listed and voided through the API on the real stack: each event's split across
// plan, grants and wallet; a void gives each pool back what the event took (plan credits to the
// wallet after a renewal, nothing to a grant that has ended), once, with its ledger entries, the
// agent's spend and the day's usage; the voided id stays used; a void back above the threshold
// re-arms the crossing; and the ledger sum of every pool equals its balance throughout.
import { createOrg, eventsOf, expectLedgerMatches, expectSnapshotsMatch, expectStatus, messages, poolSnapshotsDuring, postUsage, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ GRANT_EXPIRY_SWEEP_INTERVAL_MS: '1000', USAGE_CORRECTION_WINDOW_DAYS: '2' });
});
afterAll(() => stack.stop());

const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const MINUTE = 60_000;

async function grant(orgId: string, body: Record<string, unknown>): Promise<{ id: string }> {
  return (await expectStatus(stack.http.post(`/v1/orgs/${orgId}/credit-grants`, stack.token('ops'), { name: 'Promo', category: 'promotional', ...body }), 201)).grant;
}

const list = async (orgId: string, query = '', token = stack.token('member', orgId)) => expectStatus(stack.http.get(`/v1/orgs/${orgId}/usage${query}`, token), 200);
const voidUsage = (orgId: string, id: string, body: unknown = { reason: 'reported twice by the agent' }) => stack.http.post(`/v1/orgs/${orgId}/usage/${id}/void`, stack.token('service'), body);
const ledgerCount = async (orgId: string) => (await stack.db.query('SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1', [orgId])).rows[0].n;

test('usage events are listed newest first with their split, filtered by agent, meter and time, a page at a time', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  await grant(orgId, { credits: 50, priority: 10 });
  await postUsage(stack, orgId, [
    { id: 'e1', agentId: 'a', meter: 'message', quantity: 80, occurredAt: at(30 * MINUTE) },
    { id: 'e2', agentId: 'b', meter: 'message', quantity: 40, occurredAt: at(20 * MINUTE) },
    { id: 'e3', agentId: 'a', meter: 'message', quantity: 50, occurredAt: at(10 * MINUTE) },
  ]);
  const all = await list(orgId);
  expect(all.nextCursor).toBeNull();
  expect(all.usageEvents.map((e: { id: string }) => e.id)).toEqual(['e3', 'e2', 'e1']);
  expect(all.usageEvents.map((e: { split: unknown }) => e.split)).toEqual([
    { plan: 0, grants: 30, wallet: 20 },
    { plan: 20, grants: 20, wallet: 0 },
    { plan: 80, grants: 0, wallet: 0 },
  ]);
  expect(all.usageEvents[2]).toMatchObject({ agentId: 'a', meter: 'message', quantity: 80, credits: 80, status: 'recorded', voidedAt: null, voidReason: null });

  expect((await list(orgId, '?agentId=a')).usageEvents.map((e: { id: string }) => e.id)).toEqual(['e3', 'e1']);
  expect((await list(orgId, '?meter=message&agentId=b')).usageEvents.map((e: { id: string }) => e.id)).toEqual(['e2']);
  const window = `?from=${encodeURIComponent(at(25 * MINUTE))}&to=${encodeURIComponent(at(15 * MINUTE))}`;
  expect((await list(orgId, window)).usageEvents.map((e: { id: string }) => e.id)).toEqual(['e2']);

  // A page at a time, by the cursor each page gives; the backend that reports usage may read it too.
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page: { usageEvents: Array<{ id: string }>; nextCursor: string | null } = await list(orgId, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`, stack.token('service'));
    pages.push(page.usageEvents.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  expect(pages).toEqual([['e3', 'e2'], ['e1']]);

  for (const bad of ['?cursor=nonsense', '?limit=0', `?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(MINUTE))}`, '?agentId=%00']) {
    const res = await stack.http.get(`/v1/orgs/${orgId}/usage${bad}`, stack.token('ops'));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
  }
});

test('a void gives each pool back what the event took, once; the agent, the day and the ledger lose it; the id stays used', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const g = await grant(orgId, { credits: 50 });
  await postUsage(stack, orgId, [{ id: 'big', agentId: 'a', meter: 'message', quantity: 170 }]);
  await postUsage(stack, orgId, [{ id: 'small', agentId: 'a', meter: 'message', quantity: 5 }]);
  let s = await summary(stack, orgId);
  expect(s).toMatchObject({ availableCredits: -25, grantCredits: 0, topUpCredits: -25 });

  // Bad input changes nothing.
  const before = await ledgerCount(orgId);
  expect((await voidUsage(orgId, 'big', {})).status).toBe(422);
  expect((await voidUsage(orgId, 'big', { reason: 'x'.repeat(501) })).status).toBe(422);
  const missing = await voidUsage(orgId, 'never-sent');
  expect(missing.status).toBe(404);
  expect(missing.body.error).toEqual({ code: 'usage_event_not_found', message: 'Usage event not found.' });
  expect((await stack.http.post(`/v1/orgs/${orgId}/usage/big/void`, stack.token('owner', orgId), { reason: 'x' })).status).toBe(403);
  expect(await ledgerCount(orgId)).toBe(before);

  const voided = await expectStatus(voidUsage(orgId, 'big'), 200);
  expect(voided.returned).toEqual({ plan: 100, grants: [{ grantId: g.id, credits: 50 }], wallet: 20, forfeited: [] });
  expect(voided.usageEvent).toMatchObject({ id: 'big', credits: 170, status: 'voided', voidReason: 'reported twice by the agent', split: { plan: 100, grants: 50, wallet: 20 } });
  s = await summary(stack, orgId);
  expect(s).toMatchObject({ availableCredits: 145, planCredits: { remaining: 100 }, grantCredits: 50, topUpCredits: -5 }); // small's 5 stay taken from the wallet
  expect(s.agents).toEqual([expect.objectContaining({ id: 'a', spentThisMonth: 5 })]);
  const today = new Date().toISOString().slice(0, 10);
  const daily = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/usage/daily?from=${today}&to=${today}`, stack.token('ops')), 200);
  expect(daily.days).toEqual([{ date: today, planCredits: 0, grantCredits: 0, walletCredits: 5 }]);
  const entries = await stack.db.query("SELECT pool, credits, grant_id FROM ledger_entries WHERE org_id = $1 AND kind = 'usage_void' AND ref = 'big' ORDER BY id", [orgId]);
  expect(entries.rows).toEqual([
    { pool: 'plan', credits: 100, grant_id: null },
    { pool: 'grant', credits: 50, grant_id: g.id },
    { pool: 'wallet', credits: 20, grant_id: null },
  ]);
  const events = (await eventsOf(stack, orgId)).filter((e) => e.type === 'usage.voided');
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ message: 'Usage event big voided: 170 credits back (reported twice by the agent).', data: { usageEventId: 'big', agentId: 'a', credits: 170, returnedCredits: 170 } });

  // Again: the voided event as it is, nothing returned twice. The id stays used: sent again, nothing is recorded.
  const after = await ledgerCount(orgId);
  const again = await expectStatus(voidUsage(orgId, 'big', { reason: 'another reason' }), 200);
  expect(again).toEqual({ usageEvent: voided.usageEvent, returned: null });
  await postUsage(stack, orgId, [{ id: 'big', agentId: 'a', meter: 'message', quantity: 170 }]);
  expect(await ledgerCount(orgId)).toBe(after);
  expect((await summary(stack, orgId)).availableCredits).toBe(145);
  expect((await list(orgId)).usageEvents.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual(expect.arrayContaining([['big', 'voided'], ['small', 'recorded']]));
  await expectLedgerMatches(stack, orgId);
});

test('a void after renewal goes to the wallet; a grant that has expired since takes nothing back', async () => {
  const periodEnd = new Date(Date.now() + 8_000).toISOString();
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null, periodEnd });
  const g = await grant(orgId, { credits: 40, expiresAt: new Date(Date.now() + 3_000).toISOString() });
  await postUsage(stack, orgId, [{ id: 'before-renewal', agentId: 'a', meter: 'message', quantity: 130 }]);
  expect((await list(orgId)).usageEvents[0].split).toEqual({ plan: 100, grants: 30, wallet: 0 });

  // The grant expires (its 10 left), then the workflow renews the plan: a new period.
  await eventually(async () => expect((await summary(stack, orgId)).nextRenewalAt).not.toBe(periodEnd), 60_000);
  await eventually(async () => expect((await summary(stack, orgId)).grantCredits).toBe(0));
  expect((await summary(stack, orgId)).planCredits.remaining).toBe(100);

  const voided = await expectStatus(voidUsage(orgId, 'before-renewal', { reason: 'test traffic' }), 200);
  expect(voided.returned).toEqual({ plan: 0, grants: [], wallet: 100, forfeited: [{ grantId: g.id, credits: 30 }] });
  const s = await summary(stack, orgId);
  expect(s).toMatchObject({ availableCredits: 200, planCredits: { remaining: 100 }, grantCredits: 0, topUpCredits: 100 });
  const grants = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/credit-grants`, stack.token('ops')), 200);
  expect(grants.grants[0]).toMatchObject({ id: g.id, remaining: 0, expired: 10, status: 'expired' });
  await expectLedgerMatches(stack, orgId);
});

test('a void that takes available back to the threshold re-arms the crossing, as a credit does', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  await expectStatus(
    stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), { enabled: false, thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 1 }),
    200,
  );
  const lows = async () => (await eventsOf(stack, orgId)).filter((e) => e.type === 'balance.low').length;
  await postUsage(stack, orgId, [{ id: 'first', agentId: 'a', meter: 'message', quantity: 600 }]);
  await postUsage(stack, orgId, messages(10));
  expect(await lows()).toBe(1); // still below: once

  await expectStatus(voidUsage(orgId, 'first'), 200); // available 990: back above 500
  await postUsage(stack, orgId, [{ id: 'second', agentId: 'a', meter: 'message', quantity: 600 }]);
  expect(await lows()).toBe(2);
});

test('past the correction window a void is refused and changes nothing', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  await postUsage(stack, orgId, [{ id: 'old', agentId: 'a', meter: 'message', quantity: 10, occurredAt: at(3 * 24 * 60 * MINUTE) }]);
  const before = await ledgerCount(orgId);
  const refused = await voidUsage(orgId, 'old');
  expect(refused.status).toBe(409);
  expect(refused.body.error).toEqual({ code: 'correction_window_closed', message: 'Usage can be voided within 2 days of its occurredAt.' });
  expect(await ledgerCount(orgId)).toBe(before);
  expect((await list(orgId)).usageEvents[0]).toMatchObject({ id: 'old', status: 'recorded' });
});

test('16 concurrent usage requests, voids and grant expiries: the ledger sum of every pool and grant equals its balance in every committed state', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  await grant(orgId, { credits: 800, priority: 50, expiresAt: new Date(Date.now() + 500).toISOString() });
  await grant(orgId, { credits: 900, priority: 70 });
  const batches = Array.from({ length: 16 }, (_, i) => messages(100, `agent-${i % 4}`));
  const snapshots = await poolSnapshotsDuring(stack, orgId, async () => {
    // Each request's first event is voided as soon as it is recorded, while the others still run.
    await Promise.all(
      batches.map(async (batch) => {
        await postUsage(stack, orgId, batch);
        await expectStatus(voidUsage(orgId, batch[0].id), 200);
      }),
    );
    await eventually(async () => {
      const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM credit_grants WHERE org_id = $1 AND expired_at IS NOT NULL', [orgId]);
      if (rows[0].n !== 1) throw new Error('not expired yet');
    });
  });
  expectSnapshotsMatch(snapshots);
  const s = await expectLedgerMatches(stack, orgId);
  const expired = await stack.db.query("SELECT COALESCE(-SUM(credits), 0)::bigint AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'expiry'", [orgId]);
  const forfeited = await stack.db.query(
    "SELECT COALESCE(SUM(u.credits), 0)::bigint - COALESCE((SELECT SUM(credits) FROM ledger_entries WHERE org_id = $1 AND kind = 'usage_void'), 0)::bigint AS n FROM usage_events u WHERE u.org_id = $1 AND u.voided_at IS NOT NULL",
    [orgId],
  );
  expect(s.availableCredits).toBe(1000 + 1700 - 16 * 99 - expired.rows[0].n - forfeited.rows[0].n);
  expect(s.agents.reduce((sum, a) => sum + a.spentThisMonth, 0)).toBe(16 * 99);
});
