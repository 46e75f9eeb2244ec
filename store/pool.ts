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

/**
 * The API's pools besides its general one, one per kind of work, so that work stuck or slow in one
 * never holds another's connections: usage writes (whose lock wait is the short usageLockMs: stuck
 * behind a lock, they give up and answer 503), the hot reads (allowance, billing, daily usage), and the
 * heavy reads (simulations, forecast), few at a time so that they cannot take the cores
 * the hot reads need. Connections open on demand.
 */
export interface ApiPools {
  usageWrites: pg.Pool;
  hotReads: pg.Pool;
  heavyReads: pg.Pool;
  end(): Promise<void>;
}

export const API_POOL_SIZES = { usageWrites: 10, hotReads: 5, heavyReads: 2 } as const;

export function createApiPools(databaseUrl: string, timeouts: DatabaseTimeouts = DEFAULT_DATABASE_TIMEOUTS): ApiPools {
  const usageWrites = createPool(databaseUrl, API_POOL_SIZES.usageWrites, { ...timeouts, lockMs: timeouts.usageLockMs });
  const hotReads = createPool(databaseUrl, API_POOL_SIZES.hotReads, timeouts);
  const heavyReads = createPool(databaseUrl, API_POOL_SIZES.heavyReads, timeouts);
  return {
    usageWrites,
    hotReads,
    heavyReads,
    async end() {
      await Promise.all([usageWrites.end(), hotReads.end(), heavyReads.end()]);
    },
  };
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
