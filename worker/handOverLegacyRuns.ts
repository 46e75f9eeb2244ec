// At start, every run of the previous design (workflow type billingOrgWorkflow) is asked to hand
// over, so organizations that get no request also move to PostgreSQL and the previous workflow
// code is needed only until these runs have continued as the present one.
import { Client, Connection } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { handOverSignal } from '../workflows/legacy/messages';

export const LEGACY_WORKFLOW_TYPE = 'billingOrgWorkflow';

/** Returns how many runs were asked. A run that ends meanwhile is skipped. */
export async function handOverLegacyRuns(client: Client): Promise<number> {
  let asked = 0;
  for await (const run of client.workflow.list({ query: `WorkflowType = '${LEGACY_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'` })) {
    try {
      await client.workflow.getHandle(run.workflowId, run.runId).signal(handOverSignal);
      asked++;
    } catch {
      // Completed or continued as new since it was listed: nothing to ask.
    }
  }
  return asked;
}

/** The same over a connection of its own, for a worker's start; failures are logged, not fatal. */
export async function handOverLegacyRunsAtStart(address: string, namespace: string, logger: Logger): Promise<void> {
  try {
    const connection = await Connection.connect({ address });
    try {
      const asked = await handOverLegacyRuns(new Client({ connection, namespace }));
      if (asked > 0) logger.info({ asked }, 'runs of the previous design asked to hand over');
    } finally {
      await connection.close();
    }
  } catch (err) {
    logger.warn({ error: String(err) }, 'runs of the previous design not listed; each hands over on its next request');
  }
}
