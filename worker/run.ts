// Builds the billing worker: the organization and delivery workflows and their activities on one task queue.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';
import type { Settings } from '../config/settings';
import { createPaymentProvider } from '../payments';

export interface WorkerDeps {
  settings: Settings;
  db: Pool;
  connection: NativeConnection;
  /** Prebuilt workflow bundle (tests build it once); otherwise bundled from source at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createBillingWorker({ settings, db, connection, workflowBundle }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: settings.temporal.taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({
      db,
      payments: createPaymentProvider(settings, db),
      rules: settings.rules,
      notifications: settings.notifications,
      // The worker has no listening address of its own: PUBLIC_URL, else the API's configured one.
      receiptLinks: { baseUrl: settings.portal.publicUrl ?? `http://${settings.host}:${settings.port}`, secret: settings.authJwtSecret },
    }),
    // Ledger writes are local activities, one per organization at a time: let many organizations write at once.
    maxConcurrentLocalActivityExecutions: 64,
    // A run evicted from the cache is replayed from its history at its next task: memory for CPU.
    ...(settings.temporal.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.temporal.maxCachedWorkflows } : {}),
  });
}
