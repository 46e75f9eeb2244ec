// `npm run api`: the API alone, for production (any number of them behind a load balancer).
import { logger } from '../observability/logger';
import { loadSettings } from '../config/settings';
import { createPool } from '../store/pool';
import { migrateDatabase } from '../store/migrate';
import { startApi } from './server';

async function main() {
  const settings = loadSettings();
  if (!settings.temporal.address) throw new Error('TEMPORAL_ADDRESS must be set for `npm run api`');
  await migrateDatabase(settings.databaseUrl);
  const db = createPool(settings.databaseUrl, 10, settings.databaseTimeouts);
  const api = await startApi(settings, db, settings.temporal.address);
  logger.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.close();
    await db.end();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  logger.fatal({ err }, 'API failed to start');
  process.exit(1);
});
