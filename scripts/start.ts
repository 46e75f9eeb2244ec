// `npm start`: the API and a worker in one process. Without TEMPORAL_ADDRESS it runs an embedded
// Temporal dev server persisted under .data/, with its UI on the dev server's port + 1000
// (worker/embeddedTemporal.ts: one per data directory; a start ends what a crash left running).
import { NativeConnection } from '@temporalio/worker';
import { startApi } from '../api/server';
import { logger } from '../observability/logger';
import { loadSettings } from '../config/settings';
import { migrateDatabase } from '../store/migrate';
import { createPool } from '../store/pool';
import { startEmbeddedTemporal } from '../worker/embeddedTemporal';
import { createBillingWorker } from '../worker/run';

async function main() {
  const settings = loadSettings();
  await migrateDatabase(settings.databaseUrl);

  const embedded = settings.temporal.address ? undefined : await startEmbeddedTemporal(settings);
  const address = settings.temporal.address ?? embedded!.address;

  // A pool each, as when they run as separate processes: the API's reads (allowance checks) never
  // queue behind the worker's ledger writes.
  const workerDb = createPool(settings.databaseUrl, 20, settings.databaseTimeouts);
  const apiDb = createPool(settings.databaseUrl, 10, settings.databaseTimeouts);
  const connection = await NativeConnection.connect({ address });
  const worker = await createBillingWorker({ settings, db: workerDb, connection });
  const workerDone = worker.run();
  embedded?.watch();
  const api = await startApi(settings, apiDb, address);

  const lines = [`API          ${api.url}`, `Temporal     ${address}`];
  if (embedded) lines.push(`Temporal UI  http://127.0.0.1:${embedded.uiPort}`);
  console.log(`\nCredits billing is running:\n  ${lines.join('\n  ')}\n`);

  // The worker stops itself on SIGINT/SIGTERM; then the rest follows.
  await workerDone;
  await api.close();
  await connection.close();
  await embedded?.stop();
  await Promise.all([workerDb.end(), apiDb.end()]);
}

main().catch((err) => {
  logger.fatal({ err }, 'service failed');
  process.exit(1);
});
