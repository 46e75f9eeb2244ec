// Tells an organization's workflow that a debit took available below the threshold. The usage
// transaction marked the signal as pending (balances.signal_pending), so the usage answer does not
// wait for Temporal, and a process that dies between the commit and the signal, or a signal that
// fails, loses nothing: every API sweeps the pending signals at start and then every
// CROSSING_SWEEP_INTERVAL_MS (a read of the partial index balances_signal_pending, cheap when
// nothing is pending). The API sweeps, not the worker, because the API already holds the signal's
// client and its start sweep; any number of APIs may sweep, since clearing is per crossing's
// generation and the workflow decides under its own state, so a second signal for one crossing
// charges nothing twice.
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { thresholdSignals } from '../observability/metrics';
import { clearPendingSignal, pendingSignals, type PendingSignal } from '../store/balances';
import type { BalanceLow } from '../workflows/messages';
import type { OrgWorkflows } from './orgWorkflows';
import { RepeatingSweep } from './repeatingSweep';

export class CrossingSignals extends RepeatingSweep {
  private readonly inFlight = new Set<Promise<void>>();
  /** What the last sweep found pending, by organization: the generation. */
  private lastSeen = new Map<string, number>();
  private swept = false;

  constructor(
    private readonly db: Pool,
    private readonly workflows: OrgWorkflows,
    private readonly logger: Logger,
    private readonly sweepIntervalMs: number,
  ) {
    super();
  }

  /** Sends in the background; a failure stays pending for a later sweep. */
  send(orgId: string, crossing: BalanceLow, generation: number): void {
    const sending = this.deliver(orgId, crossing, generation).then(
      () => void thresholdSignals.inc({ outcome: 'sent' }),
      (err) => {
        thresholdSignals.inc({ outcome: 'pending' });
        this.logger.warn({ orgId, error: String(err) }, 'threshold signal not sent; it stays pending');
      },
    );
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /**
   * The first sweep (at start: what a process that died left) sends every pending signal; each
   * later one, an interval apart, sends only crossings it found pending, with the same generation,
   * at the sweep before: pending a whole interval, no process is sending them (a live API sends
   * within milliseconds of its commit), so the sweep does not race the API that committed them.
   */
  protected async sweepAndWait(): Promise<number> {
    const previous = this.lastSeen;
    const first = !this.swept;
    this.swept = true;
    await this.sweepOnce((pending) => first || previous.get(pending.orgId) === pending.generation);
    return this.sweepIntervalMs;
  }

  /** Waits for the sweep and the signals under way; no sweep starts after this. */
  override async close(): Promise<void> {
    await super.close();
    await Promise.all([...this.inFlight]);
  }

  private async deliver(orgId: string, crossing: BalanceLow, generation: number): Promise<void> {
    await this.workflows.signalBalanceLow(orgId, crossing);
    await clearPendingSignal(this.db, orgId, generation);
  }

  private async sweepOnce(due: (pending: PendingSignal) => boolean): Promise<void> {
    try {
      const pending = await pendingSignals(this.db);
      this.lastSeen = new Map(pending.map((p) => [p.orgId, p.generation]));
      for (const p of pending.filter(due)) {
        if (this.closed) return;
        await this.deliver(p.orgId, { crossedBy: null, availableCredits: p.availableCredits }, p.generation);
        thresholdSignals.inc({ outcome: 'swept' });
      }
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'pending threshold signals not swept; the next sweep retries');
    }
  }
}
