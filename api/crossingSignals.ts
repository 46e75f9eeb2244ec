// Tells an organization's workflow that a debit took available below the threshold. The usage
// transaction marked the signal as pending (balances.signal_pending), so the usage answer does not
// wait for Temporal, and a process that dies between the commit and the signal loses nothing: the
// next sweep (at start, and after any failed signal) sends it.
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { thresholdSignals } from '../observability/metrics';
import { clearPendingSignal, pendingSignals } from '../store/balances';
import type { BalanceLow } from '../workflows/messages';
import type { OrgWorkflows } from './orgWorkflows';

const RETRY_SWEEP_MS = 5_000;

export class CrossingSignals {
  private retryTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: Pool,
    private readonly workflows: OrgWorkflows,
    private readonly logger: Logger,
  ) {}

  /** Sends in the background; a failure stays pending for the sweep that follows it. */
  send(orgId: string, crossing: BalanceLow, generation: number): void {
    const sending = this.deliver(orgId, crossing, generation).then(
      () => void thresholdSignals.inc({ outcome: 'sent' }),
      (err) => {
        thresholdSignals.inc({ outcome: 'pending' });
        this.logger.warn({ orgId, error: String(err) }, 'threshold signal not sent; it stays pending');
        this.sweepLater();
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Sends every pending signal. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Waits for the signals under way; no sweep starts after this. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await Promise.all([...this.inFlight, this.sweeping]);
  }

  private async deliver(orgId: string, crossing: BalanceLow, generation: number): Promise<void> {
    await this.workflows.signalBalanceLow(orgId, crossing);
    await clearPendingSignal(this.db, orgId, generation);
  }

  private async sweepOnce(): Promise<void> {
    try {
      for (const pending of await pendingSignals(this.db)) {
        await this.deliver(pending.orgId, { crossedBy: null, availableCredits: pending.availableCredits }, pending.generation);
      }
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'pending threshold signals not swept; retrying');
      this.sweepLater();
    }
  }

  private sweepLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sweep();
    }, RETRY_SWEEP_MS);
    this.retryTimer.unref();
  }
}
