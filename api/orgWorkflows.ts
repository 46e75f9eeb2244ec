// The API's handle on organization workflows: start, update, query and usage signals.
import { isGrpcDeadlineError, WorkflowNotFoundError, type Client, type QueryDefinition, type SignalDefinition, type UpdateDefinition } from '@temporalio/client';
import type { BillingRules } from '../domain/billingRules';
import type { PricedUsageEvent } from '../domain/state';
import type { billingOrgWorkflow } from '../workflows';
import { usageBacklogQuery, usageSignal, workflowIdFor, type UsageBacklog } from '../workflows/messages';

export class OrgWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly rules: BillingRules,
  ) {}

  private options(orgId: string) {
    return { workflowId: workflowIdFor(orgId), taskQueue: this.taskQueue, args: [{ orgId, rules: this.rules }] as Parameters<typeof billingOrgWorkflow> };
  }

  /** Idempotent: an org whose workflow already runs keeps it. */
  async start(orgId: string): Promise<void> {
    await this.client.workflow.start<typeof billingOrgWorkflow>('billingOrgWorkflow', {
      ...this.options(orgId),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  async update<Ret, Args extends unknown[]>(orgId: string, update: UpdateDefinition<Ret, Args>, ...args: Args): Promise<Ret> {
    // The SDK types updates with and without arguments as separate overloads; this serves both.
    const handle = this.client.workflow.getHandle(workflowIdFor(orgId));
    const execute = handle.executeUpdate.bind(handle) as (
      def: UpdateDefinition<Ret, Args>,
      options: { args: Args },
    ) => Promise<Ret>;
    const run = () => execute(update, { args });
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await this.start(orgId);
      return run();
    }
  }

  async query<Ret, Args extends unknown[]>(orgId: string, query: QueryDefinition<Ret, Args>, ...args: Args): Promise<Ret> {
    return this.client.workflow.getHandle(workflowIdFor(orgId)).query(query, ...args);
  }

  /** A query that fails with a deadline error unless answered by `deadline` (epoch ms). */
  queryBy<Ret, Args extends unknown[]>(deadline: number, orgId: string, query: QueryDefinition<Ret, Args>, ...args: Args): Promise<Ret> {
    return this.client.withDeadline(deadline, () => this.query(orgId, query, ...args));
  }

  /** The workflow's usage backlog, or undefined when it did not answer by `deadline` (epoch ms). */
  async usageBacklog(orgId: string, deadline: number): Promise<UsageBacklog | undefined> {
    try {
      return await this.queryBy(deadline, orgId, usageBacklogQuery);
    } catch (err) {
      if (isGrpcDeadlineError(err)) return undefined;
      throw err;
    }
  }

  async signal<Args extends unknown[]>(orgId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<void> {
    await this.client.workflow.getHandle(workflowIdFor(orgId)).signal(signal, ...args);
  }

  /** Durable once this resolves: the signal is in the workflow's history. */
  async signalUsage(orgId: string, events: PricedUsageEvent[]): Promise<void> {
    try {
      // A plain signal costs the Temporal server less than signal-with-start; the workflow almost always runs.
      await this.client.workflow.getHandle(workflowIdFor(orgId)).signal(usageSignal, events);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await this.client.workflow.signalWithStart<typeof billingOrgWorkflow, [PricedUsageEvent[]]>('billingOrgWorkflow', {
      ...this.options(orgId),
      signal: usageSignal,
      signalArgs: [events],
    });
  }
}
