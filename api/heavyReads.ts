// Reads that may take seconds (policy simulations, the forecast) run on a small pool
// of their own (store/pool.ts createApiPools), and one at a time per organization in this process:
// an organization looping simulations waits for its own turn, and leaves the pool's other
// connections to the other organizations. Waiting for that turn is bounded like a wait for a pooled
// connection (DATABASE_POOL_WAIT_MS), and answers the same 503.
import type { Pool } from 'pg';
import { databaseUnavailable } from './errors';

export class HeavyReads {
  /** Per organization: the grants of those waiting their turn, oldest first. Present while one runs. */
  private readonly turns = new Map<string, Array<() => void>>();

  constructor(
    private readonly db: Pool,
    private readonly maxWaitMs: number,
  ) {}

  async run<T>(orgId: string, read: (db: Pool) => Promise<T>): Promise<T> {
    await this.turn(orgId);
    try {
      return await read(this.db);
    } finally {
      this.next(orgId);
    }
  }

  private turn(orgId: string): Promise<void> {
    const waiting = this.turns.get(orgId);
    if (!waiting) {
      this.turns.set(orgId, []);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = this.maxWaitMs
        ? setTimeout(() => {
            waiting.splice(waiting.indexOf(grant), 1);
            reject(databaseUnavailable());
          }, this.maxWaitMs)
        : undefined;
      waiting.push(grant);
    });
  }

  /** Hands the turn to the organization's next read, if one waits. */
  private next(orgId: string): void {
    const waiting = this.turns.get(orgId)!;
    const grant = waiting.shift();
    if (grant) grant();
    else this.turns.delete(orgId);
  }
}
