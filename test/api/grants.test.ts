// Credit grants through the API and the real stack: given, listed and voided by their callers; spent
// after plan credits inside the usage transaction; expired at their expiry without any request,
// once, and an expiry that takes available below the threshold recharges. The ledger sum of each
// pool, each grant included, equals its balance in every committed state.
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, expectSnapshotsMatch, expectStatus, messages, poolSnapshotsDuring, postUsage, settled, summary } from '../helpers/billing';
import { expireDueGrants } from '../../store/grants';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // The sweep wakes at the soonest expiry it knows of; the interval bounds only grants made elsewhere.
  stack = await startStack({ GRANT_EXPIRY_SWEEP_INTERVAL_MS: '1000' });
});
afterAll(() => stack.stop());

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

async function grant(orgId: string, body: Record<string, unknown>): Promise<{ id: string; remaining: number; status: string; expiresAt: string | null }> {
  return (await expectStatus(stack.http.post(`/v1/orgs/${orgId}/credit-grants`, stack.token('ops'), { name: 'Promo', category: 'promotional', ...body }), 201)).grant;
}

const grants = async (orgId: string, query = '') => (await expectStatus(stack.http.get(`/v1/orgs/${orgId}/credit-grants${query}`, stack.token('member', orgId)), 200)).grants;

test('a grant is given once per key, listed by status, and voided once; bad input changes nothing', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const ops = stack.token('ops');
  const url = `/v1/orgs/${orgId}/credit-grants`;

  const bad = await stack.http.post(url, ops, { credits: 0, name: 'x', category: 'gift', priority: 101 });
  expect(bad.status).toBe(422);
  expect(bad.body.error.code).toBe('validation_failed');
  expect(bad.body.error.message).toMatch(/credits/);
  expect((await stack.http.post(url, ops, { credits: 5, name: 'x', category: 'paid', expiresAt: inMs(-1000) })).status).toBe(422);
  expect(await grants(orgId)).toEqual([]);

  const first = await grant(orgId, { credits: 500, priority: 10, expiresAt: inMs(3_600_000), idempotencyKey: 'q3-promo' });
  expect(first).toMatchObject({ credits: 500, remaining: 500, expired: 0, voided: 0, priority: 10, category: 'promotional', status: 'active' });
  const again = await grant(orgId, { credits: 500, priority: 10, expiresAt: first.expiresAt, idempotencyKey: 'q3-promo' });
  expect(again.id).toBe(first.id);
  const conflict = await stack.http.post(url, ops, { credits: 600, name: 'Promo', category: 'promotional', idempotencyKey: 'q3-promo' });
  expect(conflict.status).toBe(409);
  expect(conflict.body.error.code).toBe('idempotency_key_conflict');
  const goodwill = await grant(orgId, { credits: 50, category: 'goodwill' });
  expect(goodwill.status).toBe('active');
  expect(goodwill).toMatchObject({ priority: 50, expiresAt: null });

  let s = await summary(stack, orgId);
  expect(s.grantCredits).toBe(550);
  expect(s.availableCredits).toBe(100 + 550);
  expect(s.nextExpiry).toEqual({ credits: 500, at: first.expiresAt });

  // An owner may not give credits; the void of an unknown grant is a 404.
  expect((await stack.http.post(url, stack.token('owner', orgId), { credits: 5, name: 'x', category: 'paid' })).status).toBe(403);
  expect((await stack.http.post(`${url}/grant_00000000-0000-0000-0000-000000000000/void`, ops)).status).toBe(404);

  const voided = (await expectStatus(stack.http.post(`${url}/${first.id}/void`, ops), 200)).grant;
  expect(voided).toMatchObject({ id: first.id, remaining: 0, voided: 500, status: 'voided' });
  expect((await expectStatus(stack.http.post(`${url}/${first.id}/void`, ops), 200)).grant).toEqual(voided);
  expect((await grants(orgId, '?status=voided')).map((g: { id: string }) => g.id)).toEqual([first.id]);
  expect((await grants(orgId, '?status=active')).map((g: { id: string }) => g.id)).toEqual([goodwill.id]);
  expect((await stack.http.get(`${url}?status=gone`, ops)).status).toBe(422);

  s = await summary(stack, orgId);
  expect(s.grantCredits).toBe(50);
  expect(s.nextExpiry).toBeNull();
  const ledger = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger?limit=50`, ops), 200);
  expect(ledger.entries.filter((e: { pool: string }) => e.pool === 'grant').map((e: { kind: string; credits: number; grantId: string }) => [e.kind, e.credits, e.grantId])).toEqual([
    ['grant_void', -500, first.id],
    ['grant', 50, goodwill.id],
    ['grant', 500, first.id],
  ]);
  expect((await eventsOf(stack, orgId)).map((e) => e.type).filter((t) => t.startsWith('credits.'))).toEqual(['credits.voided', 'credits.granted', 'credits.granted']);
  await expectLedgerMatches(stack, orgId);
});

test('usage spends plan credits, then grants by priority, then the wallet; a use_balance agent is served by grants', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const low = await grant(orgId, { credits: 5, priority: 1 });
  const high = await grant(orgId, { credits: 20, priority: 90 });
  await postUsage(stack, orgId, messages(12, 'a'));
  const allowance = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/a/allowance`, stack.token('service')), 200);
  expect(allowance).toEqual({ allowed: true, reason: null });
  await postUsage(stack, orgId, messages(30, 'a'));
  const { rows } = await stack.db.query("SELECT grant_id, -SUM(credits)::bigint AS used FROM ledger_entries WHERE org_id = $1 AND kind = 'usage' AND pool = 'grant' GROUP BY grant_id", [orgId]);
  expect(Object.fromEntries(rows.map((r) => [r.grant_id, r.used]))).toEqual({ [low.id]: 5, [high.id]: 20 });
  const s = await expectLedgerMatches(stack, orgId);
  expect(s).toMatchObject({ availableCredits: 10 + 25 - 42, grantCredits: 0, topUpCredits: -7 });
});

test('16 concurrent usage requests while grants expire: the ledger sum of every pool and grant equals its balance in every committed state', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  await grant(orgId, { credits: 800, priority: 50, expiresAt: inMs(400) });
  await grant(orgId, { credits: 700, priority: 10, expiresAt: inMs(900) });
  await grant(orgId, { credits: 900, priority: 70 });
  const snapshots = await poolSnapshotsDuring(stack, orgId, async () => {
    const rounds = Array.from({ length: 4 }, async (_, r) => {
      await new Promise((resolve) => setTimeout(resolve, r * 300)); // spread the requests across the expiries
      await Promise.all(Array.from({ length: 4 }, (_, i) => postUsage(stack, orgId, messages(150, `agent-${i}`))));
    });
    await Promise.all(rounds);
    await eventually(async () => {
      const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM credit_grants WHERE org_id = $1 AND expired_at IS NOT NULL', [orgId]);
      if (rows[0].n !== 2) throw new Error('not expired yet');
    });
  });
  expectSnapshotsMatch(snapshots);
  const s = await expectLedgerMatches(stack, orgId);
  const expired = await stack.db.query("SELECT COALESCE(-SUM(credits), 0)::bigint AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'expiry'", [orgId]);
  expect(s.availableCredits).toBe(1000 + 2400 - 16 * 150 - expired.rows[0].n);
});

test('an expiry while no request arrives: the remainder expires once, with its entry and credits.expired', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: null });
  const g = await grant(orgId, { credits: 300, expiresAt: inMs(1500) });
  await postUsage(stack, orgId, messages(100, 'a'));
  expect((await summary(stack, orgId)).nextExpiry).toEqual({ credits: 200, at: g.expiresAt });

  const [expired] = await eventually(async () => {
    const list = await grants(orgId, '?status=expired');
    if (list.length !== 1 || list[0].expiredAt === null) throw new Error('not swept yet');
    return list;
  });
  expect(expired).toMatchObject({ id: g.id, remaining: 0, expired: 200, status: 'expired' });
  const events = (await eventsOf(stack, orgId)).filter((e) => e.type === 'credits.expired');
  expect(events).toHaveLength(1);
  expect(events[0].data).toMatchObject({ grantId: g.id, credits: 200 });
  const entries = await stack.db.query("SELECT credits, grant_id FROM ledger_entries WHERE org_id = $1 AND kind = 'expiry'", [orgId]);
  expect(entries.rows).toEqual([{ credits: -200, grant_id: g.id }]);
  const s = await expectLedgerMatches(stack, orgId);
  expect(s).toMatchObject({ grantCredits: 0, availableCredits: 0, nextExpiry: null });
  // Exactly once: another sweep (another process's, say) finds nothing due and writes nothing.
  expect(await expireDueGrants(stack.db, orgId, new Date())).toEqual({ expired: 0, crossing: null });
  const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'expiry'", [orgId]);
  expect(rows[0].n).toBe(1);
});

test('an expiry that takes available below the threshold recharges', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_visa' });
  await grant(orgId, { credits: 1000, expiresAt: inMs(2000) });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 2000, maxRechargesPerMonth: 3 });
  expect((await summary(stack, orgId)).autoRecharge.rechargesUsedThisMonth).toBe(0);

  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s).toMatchObject({ grantCredits: 0, availableCredits: 2000, topUpCredits: 2000 });
  const types = (await eventsOf(stack, orgId)).map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['credits.expired', 'balance.low', 'auto_recharge.succeeded']));
  expect(types.indexOf('credits.expired')).toBeGreaterThan(types.indexOf('auto_recharge.succeeded')); // newest first
  await expectLedgerMatches(stack, orgId);
});
