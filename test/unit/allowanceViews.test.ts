import { AllowanceViews, type AllowanceSources, type CommittedView } from '../../api/allowanceViews';
import type { AllowanceView } from '../../domain/allowanceView';

const view = (planRemaining: number, topUp = 0, agents: AllowanceView['agents'] = {}): AllowanceView => ({
  pools: { planRemaining, topUp },
  subscriptionActive: true,
  agents,
});

/** Sources the test controls: what PostgreSQL has committed, what the workflow holds, and what was asked. */
function sources(initial: { committed: AllowanceView | null; current: AllowanceView }) {
  const state = { committed: initial.committed, included: new Set<string>(), current: initial.current };
  const asked = { committed: [] as string[][], current: 0 };
  let gate: Promise<void> | undefined;
  const fake: AllowanceSources = {
    async committed(_orgId, usageIds) {
      asked.committed.push(usageIds);
      if (!state.committed) return null;
      return { view: state.committed, includedUsageIds: new Set(usageIds.filter((id) => state.included.has(id))) } satisfies CommittedView;
    },
    async current() {
      asked.current++;
      await gate;
      return state.current;
    },
  };
  return {
    state,
    asked,
    fake,
    /** Makes the next workflow answer wait for `go()`. */
    holdWorkflow: () => {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return {
        go: () => {
          gate = undefined;
          open();
        },
      };
    },
  };
}

const accept = (views: AllowanceViews, id: string, credits: number, agentId = 'a') => views.usageAccepted('org', [{ id, agentId, credits }]);

test('within the TTL a check is answered from memory, with the usage accepted since applied', async () => {
  const s = sources({ committed: view(10), current: view(10) });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  accept(views, 'e1', 10);
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  expect(s.asked).toEqual({ committed: [[]], current: 0 });
});

test('a committed view is completed with the accepted usage it does not include yet; included usage is forgotten', async () => {
  const s = sources({ committed: view(10), current: view(10) });
  const views = new AllowanceViews(s.fake, 0);
  accept(views, 'e1', 4);
  accept(views, 'e2', 6);
  // The workflow committed e1 (and the view shows it); e2 is accepted but not committed yet.
  s.state.committed = view(6);
  s.state.included.add('e1');
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  expect(s.asked.committed).toEqual([['e1', 'e2']]);
  s.state.committed = view(0, 3);
  s.state.included.add('e2');
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  expect(s.asked.committed).toEqual([['e1', 'e2'], ['e2'], []]);
});

test('usage is committed in the order accepted: a later request included means the earlier ones are too', async () => {
  const s = sources({ committed: view(10), current: view(10) });
  const views = new AllowanceViews(s.fake, 0);
  accept(views, 'e1', 4);
  accept(views, 'e2', 4);
  s.state.committed = view(2);
  s.state.included.add('e2'); // only e2 is reported: e1, accepted before it, is in the view too
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  expect(s.asked.committed[1]).toEqual([]);
});

test('a settings write without an answered view sends the next check to the workflow, whose answer includes all accepted usage', async () => {
  const s = sources({ committed: view(10), current: view(10) });
  const views = new AllowanceViews(s.fake, 60_000);
  await views.allowance('org', 'a');
  accept(views, 'e1', 3);
  views.settingsWriteFinished(views.settingsWriteStarted('org'));
  s.state.current = view(0, 0, { a: { spentThisMonth: 3, monthlyLimitCredits: 3, whenPlanExhausted: 'stop' } });
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'agent_limit_reached' });
  expect(s.asked.current).toBe(1);
  // Kept, and e1 forgotten: the next check asks nothing.
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'agent_limit_reached' });
  expect(s.asked).toEqual({ committed: [[]], current: 1 });
});

test('a settings write that answers with the state after it leaves that view', async () => {
  const s = sources({ committed: view(10), current: view(10) });
  const views = new AllowanceViews(s.fake, 60_000);
  accept(views, 'e1', 3);
  const write = views.settingsWriteStarted('org');
  views.settingsWriteFinished(write, { ...view(7), subscriptionActive: false });
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'subscription_inactive' });
  expect(s.asked).toEqual({ committed: [], current: 0 });
});

test('usage accepted during a settings write makes its answer uncertain: the next check asks the workflow', async () => {
  const s = sources({ committed: view(10), current: view(0) });
  const views = new AllowanceViews(s.fake, 60_000);
  const write = views.settingsWriteStarted('org');
  accept(views, 'e1', 10);
  views.settingsWriteFinished(write, view(10));
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  expect(s.asked).toEqual({ committed: [], current: 1 });
});

test('a provider event sends the next check of every organization to the workflow', async () => {
  const s = sources({ committed: view(0), current: view(0, 500) });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  views.anyOrgChanged();
  expect(await views.allowance('org', 'a')).toEqual({ allowed: true, reason: null });
  expect(s.asked.current).toBe(1);
});

test('an organization without a committed view is answered by its workflow', async () => {
  const s = sources({ committed: null, current: view(0) });
  const views = new AllowanceViews(s.fake, 60_000);
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  expect(s.asked.current).toBe(1);
});

test('a view loaded while usage was accepted answers once but is not kept; concurrent checks share one load', async () => {
  const s = sources({ committed: null, current: view(5) });
  const views = new AllowanceViews(s.fake, 60_000);
  const held = s.holdWorkflow();
  const first = views.allowance('org', 'a');
  const second = views.allowance('org', 'a');
  await new Promise((resolve) => setImmediate(resolve));
  accept(views, 'e1', 5);
  held.go();
  expect(await first).toEqual({ allowed: true, reason: null });
  expect(await second).toEqual({ allowed: true, reason: null });
  expect(s.asked.current).toBe(1);
  s.state.current = view(0);
  expect(await views.allowance('org', 'a')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  expect(s.asked.current).toBe(2);
});
