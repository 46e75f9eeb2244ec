// Starts a delivery workflow for every delivery run requested in PostgreSQL (the outbox the events
// trigger fills): woken by NOTIFY, and every few seconds in case a notification was missed. The
// workflow id names the delivery and the run, and an id is never reused, so any number of relays
// start each run once.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Client as PgClient, Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { listenForDeliveries, markDispatched, undispatchedRuns } from '../store/deliveries';
import type { deliveryWorkflow } from '../workflows/deliveryWorkflow';
import { DELIVERY_WORKFLOW_TYPE, deliveryWorkflowId } from '../workflows/messages';

const SWEEP_EVERY_MS = 3_000;
const BATCH = 200;
/** Per organization in one batch: another organization's delivery waits for at most this many of each. */
const BATCH_PER_ORG = 10;

export class DeliveryRelay {
  private listener: PgClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly db: Pool,
    private readonly databaseUrl: string,
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.listen();
    this.timer = setInterval(() => this.wake(), SWEEP_EVERY_MS);
    this.timer.unref();
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
  }

  /** Sweeps now, or once more after the sweep under way. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async listen(): Promise<void> {
    try {
      const listener = await listenForDeliveries(this.databaseUrl, () => this.wake());
      this.listener = listener;
      if (this.closed) await listener.end();
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'delivery notifications not listened to; sweeping only');
    }
  }

  private async sweep(): Promise<void> {
    try {
      for (;;) {
        const runs = await undispatchedRuns(this.db, BATCH, BATCH_PER_ORG);
        for (const { deliveryId, run } of runs) await this.dispatch(deliveryId, run);
        // A batch short of BATCH may leave a backlog behind: done only when nothing is waiting.
        if (runs.length === 0 || this.closed) return;
      }
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'deliveries not dispatched; the next sweep retries');
    }
  }

  private async dispatch(deliveryId: string, run: number): Promise<void> {
    try {
      await this.client.workflow.start<typeof deliveryWorkflow>(DELIVERY_WORKFLOW_TYPE, {
        workflowId: deliveryWorkflowId(deliveryId, run),
        taskQueue: this.taskQueue,
        args: [{ deliveryId }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await markDispatched(this.db, deliveryId, run);
  }
}
