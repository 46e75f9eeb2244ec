// One PostgreSQL transaction on a checked-out client, rolled back on any failure.
import type { Pool, PoolClient } from 'pg';

export async function inTransaction<T>(db: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  // A checked-out client reports a dropped connection as an 'error' event too; the failed query
  // already carries it, so the event must not crash the process.
  const ignore = () => undefined;
  tx.on('error', ignore);
  let failure: Error | undefined;
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    failure = err as Error;
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.off('error', ignore);
    tx.release(failure); // a failed connection is discarded, not returned to the pool
  }
}
