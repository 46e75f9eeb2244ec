// Backpressure for hot organizations. Temporal accepts a usage signal in milliseconds, but the
// workflow commits its records at PostgreSQL's pace: unchecked, a hot organization's backlog and
// history would grow without end, and continue-as-new (which waits for the backlog) would never
// come. Before a large batch leaves, the API asks the workflow how far behind it is and waits
// while it catches up or continues as new; a backlog that does not shrink in time gets 429.
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { UsageBacklog } from '../workflows/messages';
import { ApiError } from './errors';

export interface AdmissionLimits {
  /** Smaller batches go at once: the organization is not hot. */
  minEvents: number;
  highWater: number;
  maxWaitMs: number;
}

const RECHECK_MS = 20;
/**
 * How long a batch waits for a continue-as-new at most. One normally takes well under a second; one
 * held up longer (a payment or a database outage in the way) is not helped by holding usage back.
 */
const CONTINUE_AS_NEW_WAIT_MS = 2000;

const usageBacklogged = () =>
  new ApiError(429, 'usage_backlogged', 'Usage for this organization arrives faster than it can be recorded; retry shortly.', 1);

export class UsageAdmission {
  constructor(
    /** The workflow's backlog, or undefined when it did not answer by the deadline (epoch ms). */
    private readonly backlog: (orgId: string, deadline: number) => Promise<UsageBacklog | undefined>,
    private readonly limits: AdmissionLimits,
  ) {}

  /** Resolves when a batch of `size` events may be sent; throws `usage_backlogged` when the wait is too long. */
  async admit(orgId: string, size: number): Promise<void> {
    if (size < this.limits.minEvents) return;
    const deadline = Date.now() + this.limits.maxWaitMs;
    const continueAsNewDeadline = Date.now() + Math.min(CONTINUE_AS_NEW_WAIT_MS, this.limits.maxWaitMs);
    for (;;) {
      let status: UsageBacklog | undefined;
      try {
        // The query is answered after the workflow task in progress: that wait is the backpressure.
        // A workflow too busy to answer before the deadline is behind.
        status = await this.backlog(orgId, deadline);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return; // a new organization has no backlog
        throw err;
      }
      if (!status) throw usageBacklogged();
      const behind = status.uncommittedRecords >= this.limits.highWater;
      if (!behind && (!status.continuingAsNew || Date.now() >= continueAsNewDeadline)) return;
      if (Date.now() >= deadline) throw usageBacklogged();
      await sleep(RECHECK_MS);
    }
  }
}
