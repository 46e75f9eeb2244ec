// Credit grants expire at their expires_at without any API call: every API process sweeps at start,
// then at the soonest expiry it knows of (at most every GRANT_EXPIRY_SWEEP_INTERVAL_MS, which also
// bounds how late a grant created by another process expires). Each organization's due grants
// expire in one transaction under its balance lock (store/grants.ts expireDueGrants), marked
// expired there, so any number of sweeps, here or in other processes, expire each grant once. An
// expiry that takes available below the threshold is a crossing like a usage debit's: its signal
// is pending in the balance row and sent here (a failed send stays pending for the crossing sweep).
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { dueGrantOrgs, expireDueGrants } from '../store/grants';
import type { CrossingSignals } from './crossingSignals';
import { RepeatingSweep } from './repeatingSweep';

export class GrantExpirySweep extends RepeatingSweep {
  constructor(
    private readonly db: Pool,
    private readonly crossings: CrossingSignals,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {
    super();
  }

  /** Until the soonest expiry known (just past it), at most the interval. */
  protected async sweepAndWait(): Promise<number> {
    const nextAt = await this.sweepOnce();
    return nextAt === null ? this.intervalMs : Math.min(this.intervalMs, Math.max(nextAt.getTime() - Date.now(), 0) + 10);
  }

  /** Expires what is due at `now`; answers the next expiry after it (null: none, or the sweep failed). */
  async sweepOnce(now = new Date()): Promise<Date | null> {
    try {
      const due = await dueGrantOrgs(this.db, now);
      for (const orgId of due.orgIds) {
        if (this.closed) break;
        const { crossing } = await expireDueGrants(this.db, orgId, now);
        if (crossing) this.crossings.send(orgId, { crossedBy: null, availableCredits: crossing.availableCredits }, crossing.generation);
      }
      return due.nextAt;
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'grant expiry sweep failed; the next sweep retries');
      return null;
    }
  }
}
