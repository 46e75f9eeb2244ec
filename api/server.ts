// Assembles and starts the API over a Temporal client and a PostgreSQL pool (its general one; the
// API opens its own pools for usage writes, hot reads and heavy reads, store/pool.ts).
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { logger } from '../observability/logger';
import type { Settings } from '../config/settings';
import { createPaymentProvider } from '../payments';
import { createApiPools } from '../store/pool';
import { createApp } from './app';
import { CardExpirySweep } from './cardExpirySweep';
import { GrantExpirySweep } from './grantExpirySweep';
import { CrossingSignals } from './crossingSignals';
import { DeliveryRelay } from './deliveryRelay';
import { HeavyReads } from './heavyReads';
import { answerClientErrors } from './httpLimits';
import { OrgStore } from './orgStore';
import { OrgWorkflows } from './orgWorkflows';
import { PaymentMethodBook } from './paymentMethods';
import { requestSchemas } from './schemas';
import { TemporalHealth } from './temporalHealth';
import { ProviderEventHandler } from './stripeEvents';

export interface ApiServer {
  app: Express;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** How this process reaches itself: on loopback when it listens on every interface. */
function selfHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startApi(settings: Settings, db: Pool, temporalAddress: string, port = settings.port): Promise<ApiServer> {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: settings.temporal.namespace });
  const temporalHealth = new TemporalHealth(settings.temporal.livenessGraceMs);
  const workflows = new OrgWorkflows(client, settings.temporal.taskQueue, settings.rules, {
    timeoutMs: settings.temporal.commandTimeoutMs,
    onAnswered: () => temporalHealth.answered(),
  });
  const orgs = new OrgStore(db);
  const crossings = new CrossingSignals(db, workflows, logger, settings.crossingSweepIntervalMs);
  const pools = createApiPools(settings.databaseUrl, settings.databaseTimeouts);
  const payments = createPaymentProvider(settings, db);
  const cards = new PaymentMethodBook(db, payments, workflows);
  let url = '';
  const app = createApp({
    settings,
    db,
    usageWrites: pools.usageWrites,
    hotReads: pools.hotReads,
    heavyReads: new HeavyReads(pools.heavyReads, settings.databaseTimeouts.poolWaitMs),
    logger,
    orgs,
    workflows,
    crossings,
    schemas: requestSchemas(settings.rules.minTopUpCredits, Object.keys(settings.priceBook.meters), settings.notifications.allowPrivateUrls),
    payments,
    cards,
    providerEvents: new ProviderEventHandler(db, orgs, workflows, logger, payments, cards),
    selfUrl: () => url,
    temporalHealth,
    // Bounded: a call the health check gave up on must not go on retrying past the connection's close.
    temporalReady: async () => {
      await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}));
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, settings.host, () => resolve(s));
  });
  answerClientErrors(server);
  const address = server.address();
  url = `http://${selfHost(settings.host)}:${typeof address === 'object' && address ? address.port : port}`;
  // Crossings a process committed but did not get to signal (it died, or Temporal was down), now and every interval.
  const sweep = crossings.start();
  const deliveries = settings.notifications.relay ? new DeliveryRelay(db, settings.databaseUrl, client, settings.temporal.taskQueue, logger) : undefined;
  deliveries?.start();
  const expiringCards = new CardExpirySweep(db, logger, settings.cardExpirySweepIntervalMs);
  expiringCards.start();
  const expiringGrants = new GrantExpirySweep(db, crossings, logger, settings.grantExpirySweepIntervalMs);
  expiringGrants.start();
  return {
    app,
    server,
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sweep;
      await crossings.close();
      await deliveries?.close();
      await expiringCards.close();
      await expiringGrants.close();
      await connection.close();
      await pools.end();
    },
  };
}
