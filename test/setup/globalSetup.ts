// Starts one Temporal dev server, creates a fresh test database, bundles the workflows and builds
// the billing portal once; test files reach them through the TEST_* variables.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrateDatabase } from '../../store/migrate';
import { findTemporalCli, installTemporalCli, startDevServer } from '../../worker/temporalCli';
import { ensureChromium } from './chromium';
import { buildPortalIfStale } from './portalBuild';

/** A database of this run's own (concurrent runs never share one), dropped by globalTeardown. */
async function createDatabase(serverUrl: string, name: string): Promise<string> {
  const url = `${serverUrl}/${name}`;
  await migrateDatabase(url);
  return url;
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export const TEST_POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';

export default async function globalSetup(): Promise<void> {
  ensureChromium();
  buildPortalIfStale();
  const databaseName = `credits_billing_test_${process.pid}_${Date.now()}`;
  const [databaseUrl, devServer, bundle] = await Promise.all([
    createDatabase(TEST_POSTGRES_SERVER_URL, databaseName),
    startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH) ?? installTemporalCli() }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
  ]);
  const bundlePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'billing-test-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.TEST_TEMPORAL_ADDRESS = devServer.address;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  Object.assign(globalThis, { __devServer: devServer, __testDatabase: databaseName });
}
