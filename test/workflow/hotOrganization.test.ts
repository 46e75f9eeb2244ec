// A hot organization's usage arrives faster than its workflow commits it. The API holds large
// batches while the workflow catches up or continues as new, and answers 429 once the backlog
// passes the high-water mark: the backlog and the run's history stay bounded, nothing is lost.
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, expectLedgerMatches, messages, settled, stallUsageWrites } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

const HIGH_WATER = 100;
const EVENTS_PER_REQUEST = 10;
const CONTINUE_AS_NEW_AFTER_EVENTS = 60;
let stack: Stack;

/** A stack where every batch counts as hot (the admission check runs for each). */
function withHotAdmission(env: Record<string, string>) {
  beforeAll(async () => {
    stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: String(CONTINUE_AS_NEW_AFTER_EVENTS), USAGE_ADMISSION_MIN_EVENTS: '1', ...env });
  });
  afterAll(() => stack.stop());
}

/** Clients posting usage to one organization until `stop()`; what got 202 and what got refused. */
function stream(orgId: string, clients: number) {
  const accepted = new Set<string>();
  const refusals: Array<{ status: number; code: string | undefined; retryAfter: string | null }> = [];
  let stopped = false;
  const running = Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopped) {
        const events = messages(EVENTS_PER_REQUEST);
        const res = await fetch(`${stack.api.url}/v1/orgs/${orgId}/usage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.token('service')}`, 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        const body = (await res.json()) as { error?: { code: string } };
        if (res.status === 202) events.forEach((e) => accepted.add(e.id));
        else refusals.push({ status: res.status, code: body?.error?.code, retryAfter: res.headers.get('retry-after') });
      }
    }),
  );
  return {
    accepted,
    refusals,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

async function runsOf(orgId: string) {
  const runs = [];
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    runs.push(await stack.client.workflow.getHandle(run.workflowId, run.runId).describe());
  }
  return runs;
}

describe('with a small high-water mark', () => {
  withHotAdmission({ USAGE_BACKLOG_HIGH_WATER: String(HIGH_WATER), USAGE_ADMISSION_MAX_WAIT_MS: '300' });

  test('while PostgreSQL stalls, a hot organization gets 429 at the high-water mark instead of an endless backlog', async () => {
    const orgId = await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null });
    const release = await stallUsageWrites(stack);
    const load = stream(orgId, 4);
    try {
      await eventually(() => load.refusals.length >= 5, 30_000);
      // Only what fits under the high-water mark (plus the batches already on their way) got in.
      expect(load.accepted.size).toBeLessThanOrEqual(HIGH_WATER + 4 * EVENTS_PER_REQUEST);
      const { historyLength } = await stack.client.workflow.getHandle(workflowIdFor(orgId)).describe();
      expect(historyLength).toBeLessThan(CONTINUE_AS_NEW_AFTER_EVENTS * 2);
    } finally {
      await release();
    }
    const acceptedWhileStalled = load.accepted.size;
    await eventually(() => load.accepted.size >= acceptedWhileStalled + 200, 30_000);
    await load.stop();

    expect(new Set(load.refusals.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ status: 429, code: 'usage_backlogged', retryAfter: '1' })]));
    const s = await settled(stack, orgId, (x) => x.agents[0]?.spentThisMonth === load.accepted.size);
    expect(s.planCredits.remaining).toBe(1_000_000 - load.accepted.size);
    await expectLedgerMatches(stack, orgId);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1', [orgId]);
    expect(rows[0].n).toBe(load.accepted.size);
  });

});

describe('with the default limits', () => {
  withHotAdmission({});

  test('under a steady stream, continue-as-new keeps every run short while the stream goes on', async () => {
    const orgId = await createOrg(stack, { planCredits: 1_000_000, paymentMethodId: null });
    const load = stream(orgId, 4);
    await eventually(async () => (await runsOf(orgId)).filter((r) => r.status.name === 'CONTINUED_AS_NEW').length >= 3, 60_000, 200);
    await load.stop();

    expect(load.refusals).toEqual([]);
    const runs = await runsOf(orgId);
    for (const run of runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW')) {
      expect(run.historyLength).toBeLessThan(CONTINUE_AS_NEW_AFTER_EVENTS * 2);
    }
    const s = await settled(stack, orgId, (x) => x.agents[0]?.spentThisMonth === load.accepted.size);
    expect(s.planCredits.remaining).toBe(1_000_000 - load.accepted.size);
    await expectLedgerMatches(stack, orgId);
  });
});
