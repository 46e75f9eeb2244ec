import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { dropDatabase, TEST_POSTGRES_SERVER_URL } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const { __devServer, __testDatabase } = globalThis as { __devServer?: TestWorkflowEnvironment; __testDatabase?: string };
  await __devServer?.teardown();
  if (__testDatabase && !process.env.KEEP_TEST_DATABASE) await dropDatabase(TEST_POSTGRES_SERVER_URL, __testDatabase);
}
