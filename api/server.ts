// Assembles and starts the API over a Temporal client and a PostgreSQL pool.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { logger } from '../observability/logger';
import type { Settings } from '../config/settings';
import { createPaymentProvider } from '../payments';
import { createApp } from './app';
import { CrossingSignals } from './crossingSignals';
import { DeliveryRelay } from './deliveryRelay';
import { answerClientErrors } from './httpLimits';
import { OrgStore } from './orgStore';
import { OrgWorkflows } from './orgWorkflows';
import { requestSchemas } from './schemas';
import { ProviderEventHandler } from './stripeEvents';

export interface ApiServer {
  app: Express;
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApi(settings: Settings, db: Pool, temporalAddress: string, port = settings.port): Promise<ApiServer> {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: settings.temporal.namespace });
  const workflows = new OrgWorkflows(client, settings.temporal.taskQueue, settings.rules);
  const orgs = new OrgStore(db);
  const crossings = new CrossingSignals(db, workflows, logger);
  let url = '';
  const app = createApp({
    settings,
    db,
    logger,
    orgs,
    workflows,
    crossings,
    schemas: requestSchemas(settings.rules.minTopUpCredits, Object.keys(settings.priceBook.meters), settings.notifications.allowPrivateUrls),
    payments: createPaymentProvider(settings, db),
    providerEvents: new ProviderEventHandler(db, orgs, workflows, logger),
    selfUrl: () => url,
    // Bounded: a call the health check gave up on must not go on retrying past the connection's close.
    temporalReady: async () => {
      await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '0.0.0.0', () => resolve(s));
  });
  answerClientErrors(server);
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  // Crossings a process committed but did not get to signal (it died, or Temporal was down).
  const sweep = crossings.sweep();
  const deliveries = settings.notifications.relay ? new DeliveryRelay(db, settings.databaseUrl, client, settings.temporal.taskQueue, logger) : undefined;
  deliveries?.start();
  return {
    app,
    server,
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sweep;
      await crossings.close();
      await deliveries?.close();
      await connection.close();
    },
  };
}
