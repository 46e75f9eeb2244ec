// PostgreSQL connections: the pool every part uses, and a probe on a connection of its own. bigint
// columns come back as JS numbers (credits and cents stay far below 2^53).
import pg from 'pg';
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseTimeouts } from '../config/databaseTimeouts';

pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
  return n;
});

export function createPool(databaseUrl: string, max = 10, timeouts: DatabaseTimeouts = DEFAULT_DATABASE_TIMEOUTS): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    // Idle connections stay a minute (not pg's 10 s): a quiet API answers its next checks without reconnecting.
    idleTimeoutMillis: 60_000,
    statement_timeout: timeouts.statementMs || undefined,
    lock_timeout: timeouts.lockMs || undefined,
    connectionTimeoutMillis: timeouts.poolWaitMs || undefined,
  });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Resolves once PostgreSQL answers on a new connection, within `timeoutMs`: a pool whose
 * connections all wait on a lock does not make the answer wait. */
export async function pingDatabase(databaseUrl: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
