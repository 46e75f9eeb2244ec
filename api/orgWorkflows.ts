// The API's handle on organization workflows: start, updates and signals.
import { WorkflowNotFoundError, type Client, type SignalDefinition, type UpdateDefinition } from '@temporalio/client';
import type { BillingRules } from '../domain/billingRules';
import type { orgBillingWorkflow } from '../workflows';
import { balanceLowSignal, ORG_WORKFLOW_TYPE, workflowIdFor, type BalanceLow } from '../workflows/messages';

const SIGNAL_DEADLINE_MS = 5_000;

export class OrgWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly rules: BillingRules,
  ) {}

  private options(orgId: string) {
    return { workflowId: workflowIdFor(orgId), taskQueue: this.taskQueue, args: [{ orgId, rules: this.rules }] as Parameters<typeof orgBillingWorkflow> };
  }

  /** Idempotent: an org whose workflow already runs keeps it. The summary names it in the Temporal UI. */
  async start(orgId: string, name?: string): Promise<void> {
    await this.client.workflow.start<typeof orgBillingWorkflow>(ORG_WORKFLOW_TYPE, {
      ...this.options(orgId),
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...(name ? { staticSummary: `${name} (${orgId})` } : {}),
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

  /** Durable once this resolves; a workflow that is not running (terminated, reset) is started with it. */
  async signal<Args extends unknown[]>(orgId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowIdFor(orgId)).signal(signal, ...args);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The SDK types signals with and without arguments as separate options; this serves both.
      const started = { ...this.options(orgId), signal: signal as SignalDefinition<unknown[]>, signalArgs: args as unknown[] };
      await this.client.workflow.signalWithStart<typeof orgBillingWorkflow, unknown[]>(ORG_WORKFLOW_TYPE, started);
    }
  }

  /** As signal(), bounded: a Temporal outage fails it. */
  async signalBalanceLow(orgId: string, crossing: BalanceLow): Promise<void> {
    await this.client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () => this.signal(orgId, balanceLowSignal, crossing));
  }
}
