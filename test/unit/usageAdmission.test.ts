import { WorkflowNotFoundError } from '@temporalio/client';
import { ApiError } from '../../api/errors';
import { UsageAdmission } from '../../api/usageAdmission';
import type { UsageBacklog } from '../../workflows/messages';

const limits = { minEvents: 100, highWater: 1000, maxWaitMs: 60 };

/** A workflow whose backlog answers follow `answers` (the last one repeats). */
function workflowAnswering(...answers: UsageBacklog[]) {
  const asked: string[] = [];
  const backlog = async (orgId: string) => {
    asked.push(orgId);
    return answers[Math.min(asked.length, answers.length) - 1];
  };
  return { asked, admission: new UsageAdmission(backlog, limits) };
}

const caughtUp: UsageBacklog = { uncommittedRecords: 10, continuingAsNew: false };
const continuing: UsageBacklog = { uncommittedRecords: 10, continuingAsNew: true };
const behind: UsageBacklog = { uncommittedRecords: 1000, continuingAsNew: false };

test('a small batch goes without asking the workflow', async () => {
  const { asked, admission } = workflowAnswering(behind);
  await admission.admit('org', 99);
  expect(asked).toEqual([]);
});

test('a large batch goes at once when the workflow has caught up', async () => {
  const { asked, admission } = workflowAnswering(caughtUp);
  await admission.admit('org', 100);
  expect(asked).toEqual(['org']);
});

test('a large batch waits while the workflow continues as new or is behind, then goes', async () => {
  const { asked, admission } = workflowAnswering(continuing, behind, caughtUp);
  await admission.admit('org', 500);
  expect(asked).toEqual(['org', 'org', 'org']);
});

test('a backlog still above the high-water mark at the deadline is refused with 429 and Retry-After', async () => {
  const { admission } = workflowAnswering(behind);
  const refusal = await admission.admit('org', 500).catch((err: unknown) => err);
  expect(refusal).toBeInstanceOf(ApiError);
  expect(refusal).toMatchObject({ status: 429, code: 'usage_backlogged', retryAfterSeconds: 1 });
});

test('a continue-as-new still pending after its wait does not refuse usage', async () => {
  const { asked, admission } = workflowAnswering(continuing);
  await admission.admit('org', 500);
  expect(asked.length).toBeGreaterThan(1);
});

test('a workflow too busy to answer before the deadline is behind', async () => {
  const deadlines: number[] = [];
  const admission = new UsageAdmission(async (_orgId, deadline) => {
    deadlines.push(deadline);
    return undefined;
  }, limits);
  const startedAt = Date.now();
  await expect(admission.admit('org', 500)).rejects.toMatchObject({ status: 429, code: 'usage_backlogged' });
  expect(deadlines).toHaveLength(1);
  expect(deadlines[0]).toBeGreaterThanOrEqual(startedAt + limits.maxWaitMs);
});

test('an organization without a workflow yet has no backlog', async () => {
  const admission = new UsageAdmission(async () => {
    throw new WorkflowNotFoundError('not found', 'billing-org-new', undefined);
  }, limits);
  await expect(admission.admit('new', 500)).resolves.toBeUndefined();
});

test('a batch waits for a continue-as-new for two seconds at most, however long the backlog wait may be', async () => {
  const admission = new UsageAdmission(async () => continuing, { ...limits, maxWaitMs: 60_000 });
  const startedAt = Date.now();
  await admission.admit('org', 500);
  expect(Date.now() - startedAt).toBeLessThan(10_000);
});
