// PostgreSQL connection pool; bigint columns come back as JS numbers (credits and cents stay far below 2^53).
import pg from 'pg';

pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} exceeds the safe integer range`);
  return n;
});

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  // Idle connections stay a minute (not pg's 10 s): a quiet API answers its next checks without reconnecting.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 60_000 });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}
