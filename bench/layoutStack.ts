// One layout's stack: a fresh bench database, a Temporal dev server, the service's processes and the peer.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { PROJECT_ROOT } from '../config/paths';
import { migrateDatabase } from '../store/migrate';
import { ChildService, freePort } from '../support/processes';
import { findTemporalCli, installTemporalCli, startDevServer } from '../worker/temporalCli';
import { DATABASE, SECRET, SERVER, type Layout } from './config';
import { round } from './numbers';

export interface LayoutStack {
  db: pg.Pool;
  temporal: Client;
  temporalPort: string;
  /** The API, or in the single layout the whole service. */
  app: ChildService;
  /** The worker: only in the split layout. */
  worker: ChildService | undefined;
  peer: ChildService;
  /** Starts the service and the peer; the worker without waiting (it has no HTTP port). */
  start(): Promise<void>;
  /** The service's processes by name, once started. */
  servicePids(): Record<string, number>;
  /** Peak resident memory of the service's processes so far, in MiB. */
  peakRss(): Record<string, number>;
  stop(): Promise<void>;
}

/** Drops and migrates the bench database, with the peer's two tables. */
async function freshDatabase(): Promise<{ databaseUrl: string; db: pg.Pool }> {
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
  const databaseUrl = `${SERVER}/${DATABASE}`;
  await migrateDatabase(databaseUrl);
  const db = new pg.Pool({ connectionString: databaseUrl });
  await db.query('CREATE TABLE bench_baseline_events (org_id text, id text, credits bigint, PRIMARY KEY (org_id, id))');
  await db.query('CREATE TABLE bench_baseline_balances (org_id text PRIMARY KEY, credits bigint NOT NULL)');
  return { databaseUrl, db };
}

/** The stack of `layout`, its database and dev server up, its processes not yet started. */
export async function prepareStack(layout: Layout, profileDir: string | undefined): Promise<LayoutStack> {
  const { databaseUrl, db } = await freshDatabase();
  const devServer = await startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH) ?? installTemporalCli() });
  const temporalPort = devServer.address.split(':').pop()!;
  const [servicePort, peerPort] = [await freePort(), await freePort()];
  const env = { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: devServer.address, AUTH_JWT_SECRET: SECRET, STRIPE_WEBHOOK_SECRET: 'whsec_bench', LOG_LEVEL: 'warn' };
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, layout)}`] : [];
  const split = layout === 'split';
  const serviceEnv = { ...env, PORT: String(servicePort) };
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const app = new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', split ? 'api/main.js' : 'scripts/start.js')], serviceEnv, serviceUrl);
  const worker = split ? new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', 'worker', 'main.js')], serviceEnv, serviceUrl) : undefined;
  const peer = new ChildService([path.join(PROJECT_ROOT, 'dist', 'bench', 'baselineServer.js')], { ...env, PORT: String(peerPort) }, `http://127.0.0.1:${peerPort}`);
  const connection = await Connection.connect({ address: devServer.address });
  const temporal = new Client({ connection });

  return {
    db,
    temporal,
    temporalPort,
    app,
    worker,
    peer,
    async start() {
      await Promise.all([app.start(), peer.start()]);
      // The worker has no HTTP port to wait for; creating the first organizations (updates) waits for it.
      await worker?.start({ waitUntilReady: false });
    },
    servicePids: (): Record<string, number> => (worker ? { api: app.pid!, worker: worker.pid! } : { service: app.pid! }),
    peakRss: (): Record<string, number> => (worker ? { api: round(app.peakRssMb()), worker: round(worker.peakRssMb()) } : { service: round(app.peakRssMb()) }),
    async stop() {
      await connection.close();
      await Promise.all([app.stop(), peer.stop(), worker?.stop()]);
      await devServer.teardown();
      await db.end();
    },
  };
}
