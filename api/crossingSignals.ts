// Tells an organization's workflow that a debit took available below the threshold. The usage
// transaction marked the signal as pending (balances.signal_pending), so a process that dies
// between the commit and the signal loses nothing: the next sweep sends it.
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import type { BalanceLow } from '../workflows/messages';
import type { OrgWorkflows } from './orgWorkflows';

const RETRY_SWEEP_MS = 5_000;

export class CrossingSignals {
  private retryTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly db: Pool,
    private readonly workflows: OrgWorkflows,
    private readonly logger: Logger,
  ) {}

  /** Best effort now; a failure is left pending for the sweep that follows it. */
  async send(orgId: string, crossing: BalanceLow): Promise<void> {
    try {
      await this.deliver(orgId, crossing);
    } catch (err) {
      this.logger.warn({ err, orgId }, 'threshold signal not sent; it stays pending');
      this.sweepLater();
    }
  }

  /** Sends every pending signal (at start, and after a failed one). */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async deliver(orgId: string, crossing: BalanceLow): Promise<void> {
    await this.workflows.signalBalanceLow(orgId, crossing);
    await this.db.query('UPDATE balances SET signal_pending = false WHERE org_id = $1 AND signal_pending', [orgId]);
  }

  private async sweepOnce(): Promise<void> {
    try {
      const { rows } = await this.db.query<{ org_id: string; available: number }>(
        'SELECT org_id, plan_remaining + top_up AS available FROM balances WHERE signal_pending',
      );
      for (const row of rows) await this.deliver(row.org_id, { crossedBy: null, availableCredits: row.available });
    } catch (err) {
      this.logger.warn({ err }, 'pending threshold signals not swept; retrying');
      this.sweepLater();
    }
  }

  private sweepLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sweep();
    }, RETRY_SWEEP_MS);
    this.retryTimer.unref();
  }
}
