// How long the service waits on PostgreSQL, as settings: store/pool.ts applies them to its connections.

/** How long a statement, a lock wait and a wait for a free connection may take (0: no limit). */
export interface DatabaseTimeouts {
  statementMs: number;
  lockMs: number;
  poolWaitMs: number;
  /** The lock wait of a usage write (the API's usage pool): shorter, so that writes stuck behind a
   * lock give up and answer 503 rather than hold the pool's connections. */
  usageLockMs: number;
}

// A table locked by another session must not hold requests, and the connections they took, for
// long: they give up and answer 503 (retried by the client, or by Temporal for the worker). A usage
// write waits on its organization's balance row behind the writes before it (milliseconds each),
// so 2 s is far above a busy organization's queue and well below the general lock wait.
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { statementMs: 10_000, lockMs: 5_000, poolWaitMs: 5_000, usageLockMs: 2_000 };
