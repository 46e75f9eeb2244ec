// The billing summary's agents are bounded (issue 17, item 10): at most 100, those with the most
// spend this period (ties by id), with agentCount; GET /agents pages through every agent by id,
// each exactly once, however their spend changes meanwhile.
import { createOrg, expectStatus, postUsage, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

interface ListedAgent {
  id: string;
  spentThisMonth: number;
  monthlyLimitCredits: number | null;
  whenPlanExhausted: string;
  allowed: boolean;
  reason: string | null;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const bySpendThenId = (a: ListedAgent, b: ListedAgent) => b.spentThisMonth - a.spentThisMonth || byId(a, b);

async function page(orgId: string, query: string): Promise<{ agents: ListedAgent[]; nextCursor: string | null }> {
  const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents${query}`, stack.token('member', orgId)), 200);
  expect(sortedKeys(body)).toEqual(['agents', 'nextCursor']);
  return body;
}

/** Every agent, following nextCursor from the first page; `between` runs after each page. */
async function walk(orgId: string, limit: number, between: () => Promise<void> = async () => undefined): Promise<ListedAgent[]> {
  const all: ListedAgent[] = [];
  let cursor: string | null = null;
  for (let pages = 0; ; pages++) {
    expect(pages).toBeLessThan(1_000);
    const current = await page(orgId, `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...current.agents);
    if (current.nextCursor === null) return all;
    expect(current.agents).toHaveLength(limit);
    expect(current.nextCursor).toBe(current.agents[limit - 1].id);
    cursor = current.nextCursor;
    await between();
  }
}

let eventCount = 0;
/** One usage batch: `credits` message events for each agent. */
function usage(spend: Array<[agentId: string, credits: number]>) {
  return spend.map(([agentId, quantity]) => ({ id: `agents-test-${process.pid}-${++eventCount}`, agentId, meter: 'message', quantity }));
}

test('an organization with 250 agents: the summary shows the 100 with the most spend and agentCount; pages list each agent once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null });
  // Spend 1..50 credits, with ties; numeric-looking and mixed-case ids sort by id within a tie.
  const ids = Array.from({ length: 250 }, (_, i) => (i % 5 === 0 ? `${i}` : i % 5 === 1 ? `Agent-${i}` : `agent-${i}`));
  const spend = new Map(ids.map((id, i) => [id, ((i * 37) % 50) + 1]));
  await postUsage(stack, orgId, usage([...spend]));
  // Two with settings and no spend, one with both.
  const owner = stack.token('owner', orgId);
  for (const id of ['idle-1', 'idle-2', ids[7]]) {
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/${id}`, owner, { monthlyLimitCredits: 5_000, whenPlanExhausted: 'stop' }), 200);
  }
  const expected: ListedAgent[] = [...ids, 'idle-1', 'idle-2'].map((id) => ({
    id,
    spentThisMonth: spend.get(id) ?? 0,
    monthlyLimitCredits: id.startsWith('idle') || id === ids[7] ? 5_000 : null,
    whenPlanExhausted: id.startsWith('idle') || id === ids[7] ? 'stop' : 'use_balance',
    allowed: true,
    reason: null,
  }));

  const billing = await summary(stack, orgId);
  expect(billing.agentCount).toBe(252);
  expect(billing.agents).toEqual([...expected].sort(bySpendThenId).slice(0, 100));

  for (const limit of [7, 100, 500]) {
    const all = await walk(orgId, limit);
    expect(all).toEqual([...expected].sort(byId));
  }
  const first = await page(orgId, '');
  expect(first.agents).toHaveLength(100);
  expect(first.nextCursor).toBe(first.agents[99].id);
});

test('paging is stable while agents spend and new ones appear: every agent seen before the walk is listed exactly once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null });
  const ids = Array.from({ length: 60 }, (_, i) => `a-${String(i).padStart(3, '0')}`);
  await postUsage(stack, orgId, usage(ids.map((id, i) => [id, i + 1])));
  let round = 0;
  // Between pages the last agents overtake the first in spend, and a new agent appears after the cursor.
  const all = await walk(orgId, 10, async () => {
    round++;
    await postUsage(stack, orgId, usage([[ids[ids.length - round], 1_000], [`z-new-${round}`, 1]]));
  });
  const listed = all.map((a) => a.id);
  expect(new Set(listed).size).toBe(listed.length);
  expect(listed.filter((id) => id.startsWith('a-'))).toEqual(ids);
  expect(listed.filter((id) => id.startsWith('z-new-'))).toEqual(Array.from({ length: round }, (_, i) => `z-new-${i + 1}`));
  expect((await summary(stack, orgId)).agentCount).toBe(60 + round);
});

test('100,000 agents: the summary stays small, and 200 pages of 500 list each agent once', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  await stack.db.query(
    `INSERT INTO agent_spend (org_id, period, agent_id, spent)
     SELECT $1, (SELECT period FROM balances WHERE org_id = $1), 'bulk-' || lpad(g::text, 6, '0'), g % 1000
     FROM generate_series(1, 100000) g`,
    [orgId],
  );
  const res = await fetch(`${stack.api.url}/v1/orgs/${orgId}/billing`, { headers: { authorization: `Bearer ${stack.token('ops')}` } });
  const text = await res.text();
  expect(res.status).toBe(200);
  expect(text.length).toBeLessThan(50_000);
  const billing = JSON.parse(text);
  expect(billing.agentCount).toBe(100_000);
  expect(billing.agents).toHaveLength(100);
  // Spend 999 is the most: bulk-000999, bulk-001999, ... bulk-099999, then spend 998.
  expect(billing.agents.slice(0, 100).map((a: ListedAgent) => a.id)).toEqual(
    [...Array.from({ length: 100 }, (_, k) => `bulk-${String(k * 1000 + 999).padStart(6, '0')}`)],
  );

  const all = await walk(orgId, 500);
  expect(all).toHaveLength(100_000);
  expect(all[0].id).toBe('bulk-000001');
  expect(all[99_999].id).toBe('bulk-100000');
  for (let i = 1; i < all.length; i++) if (!(all[i - 1].id < all[i].id)) throw new Error(`out of order at ${i}: ${all[i - 1].id}, ${all[i].id}`);
});

test('bad queries are 422, an unknown organization 404, and an agency reads its sub-account', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  for (const query of ['limit=0', 'limit=501', 'limit=x', 'cursor=', 'cursor=a%20b', `cursor=${'a'.repeat(129)}`, 'after=a']) {
    expectError(await stack.http.get(`/v1/orgs/${orgId}/agents?${query}`, stack.token('ops')), 422, 'validation_failed');
  }
  expectError(await stack.http.get('/v1/orgs/no-such-org/agents', stack.token('ops')), 404, 'organization_not_found');
  expect(await page(orgId, '')).toEqual({ agents: [], nextCursor: null });

  const sub = await createOrg(stack, { parentId: orgId, paymentMethodId: null });
  await postUsage(stack, sub, usage([['sub-agent', 3]]));
  const asAgency = await expectStatus(stack.http.get(`/v1/orgs/${sub}/agents`, stack.token('member', orgId)), 200);
  expect(asAgency.agents.map((a: ListedAgent) => [a.id, a.spentThisMonth])).toEqual([['sub-agent', 3]]);
});
