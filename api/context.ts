// What every route handler works with.
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import type { Settings } from '../config/settings';
import type { PaymentProvider } from '../payments/provider';
import type { ProviderEventHandler } from './stripeEvents';
import type { OrgStore } from './orgStore';
import type { PaymentMethodBook } from './paymentMethods';
import type { RequestSchemas } from './schemas';
import type { CrossingSignals } from './crossingSignals';
import type { HeavyReads } from './heavyReads';
import type { OrgWorkflows } from './orgWorkflows';
import type { TemporalHealth } from './temporalHealth';

export interface ApiContext {
  settings: Settings;
  /** The general pool: commands, settings, history pages, authentication. */
  db: Pool;
  /** Usage writes alone, with the short usage lock timeout (store/pool.ts createApiPools). */
  usageWrites: Pool;
  /** The hot reads alone: the allowance check, the billing summary and daily usage. */
  hotReads: Pool;
  /** Simulations and the forecast: few at a time, one per organization. */
  heavyReads: HeavyReads;
  orgs: OrgStore;
  workflows: OrgWorkflows;
  logger: Logger;
  schemas: RequestSchemas;
  payments: PaymentProvider;
  /** The organizations' saved cards. */
  cards: PaymentMethodBook;
  /** Threshold crossings on their way to the workflows. */
  crossings: CrossingSignals;
  providerEvents: ProviderEventHandler;
  /** This API's own base URL (the sandbox delivers its webhooks to it). */
  selfUrl: () => string;
  /** Answers whether Temporal is reachable, for /readyz. */
  temporalReady: () => Promise<void>;
  /** Since when Temporal has not answered this process, for /healthz. */
  temporalHealth: TemporalHealth;
}
