// What the organizations' workflows wrote to Temporal's history.
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../workflows/messages';
import { inParallel } from './http';

/** Length of each organization's present workflow run (one describe per organization). */
export async function historyLengths(temporal: Client, orgIds: string[]): Promise<Map<string, { runId: string; events: number }>> {
  const lengths = new Map<string, { runId: string; events: number }>();
  await inParallel(orgIds, 8, async (id) => {
    const { runId, historyLength } = await temporal.workflow.getHandle(workflowIdFor(id)).describe();
    lengths.set(id, { runId, events: historyLength });
  });
  return lengths;
}

/** Every run of the organization's workflow: how many, and the longest. */
export async function runsOf(temporal: Client, orgId: string) {
  const history = { runs: 0, maxEvents: 0, maxBytes: 0 };
  for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    const { historyLength, historySize } = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
    history.runs++;
    history.maxEvents = Math.max(history.maxEvents, historyLength);
    history.maxBytes = Math.max(history.maxBytes, historySize ?? 0);
  }
  return history;
}
