// Assembles and starts the API over a Temporal client and a PostgreSQL pool.
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import type { PricedUsageEvent } from '../domain/state';
import { logger } from '../observability/logger';
import type { Settings } from '../config/settings';
import { createApp } from './app';
import { OrgStore } from './orgStore';
import { OrgWorkflows } from './orgWorkflows';
import { requestSchemas } from './schemas';
import { AllowanceViews, committedViewsIn } from './allowanceViews';
import { allowanceViewQuery } from '../workflows/messages';
import { usageSignalBatchSize } from '../observability/metrics';
import { UsageAdmission } from './usageAdmission';
import { UsageBatcher } from './usageBatcher';
import { createPaymentProvider } from '../payments';
import { ProviderEventHandler } from './stripeEvents';

export interface ApiServer {
  app: Express;
  server: Server;
  url: string;
  close(): Promise<void>;
}

const WORKFLOW_ANSWER_TIMEOUT_MS = 10_000;

export async function startApi(settings: Settings, db: Pool, temporalAddress: string, port = settings.port): Promise<ApiServer> {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: settings.temporal.namespace });
  const workflows = new OrgWorkflows(client, settings.temporal.taskQueue, settings.rules);
  const orgs = new OrgStore(db);
  const { maxEventsPerSignal, admissionMinEvents, backlogHighWater, admissionMaxWaitMs } = settings.usage;
  const admission = new UsageAdmission((orgId, deadline) => workflows.usageBacklog(orgId, deadline), {
    minEvents: admissionMinEvents,
    highWater: backlogHighWater,
    maxWaitMs: admissionMaxWaitMs,
  });
  const sendUsage = async (orgId: string, events: PricedUsageEvent[]) => {
    await admission.admit(orgId, events.length);
    await workflows.signalUsage(orgId, events);
  };
  // The workflow's own answer, for checks PostgreSQL cannot settle: bounded, so that a background
  // refresh cannot outlive the API's Temporal connection.
  const allowances = new AllowanceViews(
    {
      committed: committedViewsIn(db, logger),
      current: (orgId) => workflows.queryBy(Date.now() + WORKFLOW_ANSWER_TIMEOUT_MS, orgId, allowanceViewQuery),
    },
    settings.allowanceCacheMs,
  );
  let url = '';
  const app = createApp({
    settings,
    db,
    logger,
    orgs,
    workflows,
    allowances,
    schemas: requestSchemas(settings.rules.minTopUpCredits, Object.keys(settings.priceBook.meters)),
    payments: createPaymentProvider(settings, db),
    providerEvents: new ProviderEventHandler(db, orgs, workflows),
    selfUrl: () => url,
    usage: new UsageBatcher(sendUsage, maxEventsPerSignal, (size) => usageSignalBatchSize.observe(size)),
    temporalReady: async () => {
      await connection.workflowService.getSystemInfo({});
    },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '0.0.0.0', () => resolve(s));
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    app,
    server,
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await allowances.settled();
      await connection.close();
    },
  };
}
