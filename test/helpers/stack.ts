// A real stack for one test file: its own task queue and worker on the shared Temporal dev server,
// the test database, and the API over HTTP on a free port.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { signToken } from '../../api/auth';
import type { Role } from '../../api/caller';
import { startApi, type ApiServer } from '../../api/server';
import { loadSettings, type Settings } from '../../config/settings';
import { createPool } from '../../store/pool';
import { createBillingWorker } from '../../worker/run';

export interface Stack {
  settings: Settings;
  db: Pool;
  client: Client;
  worker: Worker;
  api: ApiServer;
  /** A token for `role` in `org` ('*' for service and ops by default). */
  token(role: Role, org?: string): string;
  http: Http;
  stop(): Promise<void>;
}

export interface HttpResponse<T = any> {
  status: number;
  body: T;
}

export type Http = ReturnType<typeof httpClient>;

export function httpClient(baseUrl: string) {
  async function request<T = any>(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse<T>> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  return {
    request,
    get: <T = any>(path: string, token?: string) => request<T>('GET', path, token),
    post: <T = any>(path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) => request<T>('POST', path, token, body, headers),
    put: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>('PUT', path, token, body),
    del: <T = any>(path: string, token?: string) => request<T>('DELETE', path, token),
  };
}

/** The settings a test stack runs with: test database and Temporal, a task queue of its own. */
export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    AUTH_JWT_SECRET: 'test-secret',
    CHARGE_TIMEOUT_MS: '5000',
    RECORDS_TIMEOUT_MS: '5000',
    ...overrides,
  };
}

function quietTemporalLogs() {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
  } catch {
    // Already installed in this process.
  }
}

export async function startStack(envOverrides: Record<string, string> = {}): Promise<Stack> {
  quietTemporalLogs();
  const settings = loadSettings(testEnv(envOverrides));
  const address = settings.temporal.address!;
  const db = createPool(settings.databaseUrl, 10, settings.databaseTimeouts);
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createBillingWorker({
    settings,
    db,
    connection: nativeConnection,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: settings.temporal.namespace });
  const api = await startApi(settings, db, address, 0);
  return {
    settings,
    db,
    client,
    worker,
    api,
    token: (role, org) => signToken({ sub: `${role}-user`, role, org: org ?? '*' }, settings.authJwtSecret),
    http: httpClient(api.url),
    async stop() {
      await api.close();
      if (worker.getState() === 'RUNNING') worker.shutdown(); // a test may have stopped it
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.end();
    },
  };
}

export function uniqueOrgId(prefix = 'org'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export { waitUntil as eventually } from '../../support/processes';
