// Creates the database if it is missing and applies migrations/*.sql, under an advisory lock.
import path from 'node:path';
import pg from 'pg';
import { migrate } from 'postgres-migrations';
import { PROJECT_ROOT } from '../config/paths';

const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await admin.end();
  }
}

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await migrate({ client }, MIGRATIONS_DIR, { logger: () => undefined });
  } finally {
    await client.end();
  }
}
