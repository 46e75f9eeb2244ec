import { AllowanceViews, type AllowanceSources } from '../../api/allowanceViews';
import type { AllowanceView, VersionedView } from '../../domain/allowanceView';

const view = (planRemaining: number, topUp = 0, agents: AllowanceView['agents'] = {}): AllowanceView => ({
  pools: { planRemaining, topUp },
  subscriptionActive: true,
  agents,
});

const ALLOWED = { allowed: true, reason: null };
const BROKE = { allowed: false, reason: 'insufficient_balance' };

/** Sources the test controls: what PostgreSQL has committed, what the workflow holds, and what was asked. */
function sources(initial: { committed: VersionedView | null; current: VersionedView }) {
  const state = { committed: initial.committed, included: new Set<string>(), current: initial.current };
  const asked = { committed: [] as string[][], current: 0 };
  const gates: { committed?: Promise<void>; current?: Promise<void> } = {};
  const fake: AllowanceSources = {
    async committed(_orgId, usageIds) {
      asked.committed.push(usageIds);
      const answer = state.committed && { ...state.committed, includedUsageIds: new Set(usageIds.filter((id) => state.included.has(id))) };
      await gates.committed;
      return answer;
    },
    async current() {
      asked.current++;
      const answer = state.current;
      await gates.current;
      return answer;
    },
  };
  /** Makes the next answers of `source` (as they were when asked) wait for `go()`. */
  const hold = (source: 'committed' | 'current') => {
    let open!: () => void;
    gates[source] = new Promise<void>((resolve) => (open = resolve));
    return () => {
      gates[source] = undefined;
      open();
    };
  };
  return { state, asked, fake, hold };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const accept = (views: AllowanceViews, id: string, credits: number, agentId = 'a') => views.usageAccepted('org', [{ id, agentId, credits }]);

test('within the TTL a check is answered from memory, with the usage accepted since applied', async () => {
  const s = sources({ committed: { view: view(10), version: 1 }, current: { view: view(10), version: 1 } });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  accept(views, 'e1', 10);
  expect(await views.allowance('org', 'a')).toEqual(BROKE);
  expect(s.asked).toEqual({ committed: [[]], current: 0 });
});

test('a committed view is completed with the accepted usage it does not include yet; included usage is forgotten', async () => {
  const s = sources({ committed: { view: view(10), version: 1 }, current: { view: view(10), version: 1 } });
  const views = new AllowanceViews(s.fake, 0);
  accept(views, 'e1', 4);
  accept(views, 'e2', 6);
  // The workflow committed e1 (and the view shows it); e2 is accepted but not committed yet.
  s.state.committed = { view: view(6), version: 2 };
  s.state.included.add('e1');
  expect(await views.allowance('org', 'a')).toEqual(BROKE);
  s.state.committed = { view: view(0, 3), version: 3 };
  s.state.included.add('e2');
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  expect(s.asked.committed).toEqual([['e1', 'e2'], ['e2'], []]);
});

test('usage is committed in the order accepted: a later request included means the earlier ones are too', async () => {
  const s = sources({ committed: { view: view(2), version: 2 }, current: { view: view(2), version: 2 } });
  const views = new AllowanceViews(s.fake, 0);
  accept(views, 'e1', 4);
  accept(views, 'e2', 4);
  s.state.included.add('e2'); // only e2 is reported: e1, accepted before it, is in the view too
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  expect(s.asked.committed[1]).toEqual([]);
});

test('after a settings write the workflow is asked at once; the next check uses its answer', async () => {
  const s = sources({ committed: { view: view(10), version: 1 }, current: { view: view(10), version: 1 } });
  const views = new AllowanceViews(s.fake, 60_000);
  await views.allowance('org', 'a');
  views.settingsWriteStarted('org');
  s.state.current = { view: { ...view(10), subscriptionActive: false }, version: 2 };
  views.settingsWriteFinished('org');
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'subscription_inactive' });
  expect(s.asked).toEqual({ committed: [[]], current: 1 });
});

test('a committed view older than a workflow answer is not used; accepted usage outlives that answer', async () => {
  const s = sources({ committed: { view: view(10), version: 1 }, current: { view: view(10), version: 1 } });
  const views = new AllowanceViews(s.fake, 0);
  views.settingsWriteStarted('org');
  views.settingsWriteFinished('org');
  accept(views, 'e1', 10);
  // The workflow has the settings write (version 2) and e1; PostgreSQL has neither yet.
  s.state.current = { view: { ...view(0), agents: { a: { spentThisMonth: 10, monthlyLimitCredits: null, whenPlanExhausted: 'stop' } } }, version: 3 };
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(s.asked.current).toBe(2);
  // Committed: the settings write, but not yet e1. The view is used, with e1 applied on top.
  s.state.committed = { view: { ...view(10), agents: { a: { spentThisMonth: 0, monthlyLimitCredits: null, whenPlanExhausted: 'stop' } } }, version: 3 };
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(s.asked.current).toBe(2);
  expect(s.asked.committed.at(-1)).toEqual(['e1']);
});

test('a check after a 202 does not wait on a load that began before it', async () => {
  const s = sources({ committed: { view: view(5), version: 1 }, current: { view: view(5), version: 1 } });
  const views = new AllowanceViews(s.fake, 60_000);
  const go = s.hold('committed');
  const before = views.allowance('org', 'a');
  await flush();
  accept(views, 'e1', 5);
  const after = views.allowance('org', 'a');
  go();
  expect(await before).toEqual(ALLOWED);
  expect(await after).toEqual(BROKE);
  expect(s.asked.committed).toEqual([[], ['e1']]);
});

test('a workflow answer begun during a settings write is not kept', async () => {
  const s = sources({ committed: null, current: { view: view(5), version: 1 } });
  const views = new AllowanceViews(s.fake, 60_000);
  views.settingsWriteStarted('org');
  const go = s.hold('current');
  const during = views.allowance('org', 'a');
  await flush();
  s.state.current = { view: view(0), version: 2 };
  views.settingsWriteFinished('org');
  go();
  expect(await during).toEqual(ALLOWED);
  expect(await views.allowance('org', 'a')).toEqual(BROKE);
});

test('an organization without a committed view is answered by its workflow', async () => {
  const s = sources({ committed: null, current: { view: view(0), version: 1 } });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual(BROKE);
  expect(s.asked.current).toBe(1);
});

test('a provider event sends the next check of every organization to the workflow', async () => {
  const s = sources({ committed: { view: view(0), version: 1 }, current: { view: view(0, 500), version: 2 } });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual(BROKE);
  views.anyOrgChanged();
  expect(await views.allowance('org', 'a')).toEqual(ALLOWED);
  expect(s.asked.current).toBe(1);
});
