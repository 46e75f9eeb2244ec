// The API's handle on organization workflows: start, updates and signals. Every command has a
// deadline for reaching Temporal and being accepted by the workflow, so a Temporal outage (or a
// partition from it) answers 503 temporal_unavailable within it instead of waiting for gRPC to
// reconnect.
import { WorkflowNotFoundError, type Client, type QueryDefinition, type SignalDefinition, type UpdateDefinition, type WorkflowUpdateHandle } from '@temporalio/client';
import type { BillingRules } from '../domain/billingRules';
import type { orgBillingWorkflow } from '../workflows';
import { balanceLowSignal, ORG_WORKFLOW_TYPE, workflowIdFor, type BalanceLow } from '../workflows/messages';

export interface CommandOptions {
  /** TEMPORAL_COMMAND_TIMEOUT_MS: how long a command may take to reach Temporal and be accepted. */
  timeoutMs: number;
  /** Called whenever Temporal answered a command (so /healthz knows it is reachable). */
  onAnswered?: () => void;
}

export class OrgWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly rules: BillingRules,
    private readonly commands: CommandOptions,
  ) {}

  private options(orgId: string) {
    return { workflowId: workflowIdFor(orgId), taskQueue: this.taskQueue, args: [{ orgId, rules: this.rules }] as Parameters<typeof orgBillingWorkflow> };
  }

  /** Every gRPC call `work` makes shares one deadline; past it the call fails (DEADLINE_EXCEEDED). */
  private async withinDeadline<T>(work: () => Promise<T>): Promise<T> {
    const result = await this.client.withDeadline(Date.now() + this.commands.timeoutMs, work);
    this.commands.onAnswered?.();
    return result;
  }

  private startWorkflow(orgId: string, name?: string) {
    return this.client.workflow.start<typeof orgBillingWorkflow>(ORG_WORKFLOW_TYPE, {
      ...this.options(orgId),
      workflowIdConflictPolicy: 'USE_EXISTING',
      ...(name ? { staticSummary: `${name} (${orgId})` } : {}),
    });
  }

  /** Idempotent: an org whose workflow already runs keeps it. The summary names it in the Temporal UI. */
  async start(orgId: string, name?: string): Promise<void> {
    await this.withinDeadline(() => this.startWorkflow(orgId, name));
  }

  /** The deadline covers reaching Temporal and the update's acceptance (its validator passed and it
   * is in the history, so it will be carried out). Its outcome is awaited without it: a top-up's
   * outcome is the provider's answer to the charge, which may legitimately take seconds. */
  async update<Ret, Args extends unknown[]>(orgId: string, update: UpdateDefinition<Ret, Args>, ...args: Args): Promise<Ret> {
    // The SDK types updates with and without arguments as separate overloads; this serves both.
    const handle = this.client.workflow.getHandle(workflowIdFor(orgId));
    const startUpdate = handle.startUpdate.bind(handle) as (
      def: UpdateDefinition<Ret, Args>,
      options: { args: Args; waitForStage: 'ACCEPTED' },
    ) => Promise<WorkflowUpdateHandle<Ret>>;
    const accept = () => startUpdate(update, { args, waitForStage: 'ACCEPTED' });
    const accepted = await this.withinDeadline(async () => {
      try {
        return await accept();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        await this.startWorkflow(orgId);
        return accept();
      }
    });
    return accepted.result();
  }

  /** Durable once this resolves; a workflow that is not running (terminated, reset) is started with it. */
  async signal<Args extends unknown[]>(orgId: string, signal: SignalDefinition<Args>, ...args: Args): Promise<void> {
    await this.withinDeadline(async () => {
      try {
        await this.client.workflow.getHandle(workflowIdFor(orgId)).signal(signal, ...args);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // The SDK types signals with and without arguments as separate options; this serves both.
        const started = { ...this.options(orgId), signal: signal as SignalDefinition<unknown[]>, signalArgs: args as unknown[] };
        await this.client.workflow.signalWithStart<typeof orgBillingWorkflow, unknown[]>(ORG_WORKFLOW_TYPE, started);
      }
    });
  }

  /** As signal(): bounded by the command deadline, so a Temporal outage fails it and the sweep retries. */
  async signalBalanceLow(orgId: string, crossing: BalanceLow): Promise<void> {
    await this.signal(orgId, balanceLowSignal, crossing);
  }

  /** Asks the running workflow; one that was never started answers `missing`. */
  async query<Ret>(orgId: string, query: QueryDefinition<Ret, []>, missing: Ret): Promise<Ret> {
    return this.withinDeadline(async () => {
      try {
        return await this.client.workflow.getHandle(workflowIdFor(orgId)).query(query);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return missing;
        throw err;
      }
    });
  }
}
