// Starts one Temporal dev server, creates a fresh test database and bundles the workflows once;
// test files reach them through the TEST_* variables.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrateDatabase } from '../../db/migrate';
import { findTemporalCli, startDevServer } from '../../worker/temporalCli';

const TEST_DATABASE = 'credits_billing_test';

async function recreateDatabase(serverUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEST_DATABASE} WITH (FORCE)`);
  await admin.end();
  const url = `${serverUrl}/${TEST_DATABASE}`;
  await migrateDatabase(url);
  return url;
}

export default async function globalSetup(): Promise<void> {
  const serverUrl = process.env.TEST_POSTGRES_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const [databaseUrl, devServer, bundle] = await Promise.all([
    recreateDatabase(serverUrl),
    startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH) }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }),
  ]);
  const bundlePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'billing-test-')), 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.TEST_TEMPORAL_ADDRESS = devServer.address;
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  (globalThis as { __devServer?: unknown }).__devServer = devServer;
}
