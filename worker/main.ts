// `npm run worker`: the worker alone, for production (any number of them on the same task queue).
import { NativeConnection } from '@temporalio/worker';
import { logger } from '../observability/logger';
import { loadSettings } from '../config/settings';
import { createPool } from '../store/pool';
import { migrateDatabase } from '../store/migrate';
import { createBillingWorker } from './run';

async function main() {
  const settings = loadSettings();
  if (!settings.temporal.address) throw new Error('TEMPORAL_ADDRESS must be set for `npm run worker`');
  await migrateDatabase(settings.databaseUrl);
  const db = createPool(settings.databaseUrl, 20, settings.databaseTimeouts);
  const connection = await NativeConnection.connect({ address: settings.temporal.address });
  const worker = await createBillingWorker({ settings, db, connection });
  logger.info({ taskQueue: settings.temporal.taskQueue }, 'worker running');
  const running = worker.run();
  await running; // returns after SIGINT/SIGTERM, which the worker handles itself
  await connection.close();
  await db.end();
}

main().catch((err) => {
  logger.fatal({ err }, 'worker failed');
  process.exit(1);
});
