// What every route handler works with.
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import type { Settings } from '../config/settings';
import type { PricedUsageEvent } from '../domain/state';
import type { PaymentProvider } from '../payments/provider';
import type { ProviderEventHandler } from './stripeEvents';
import type { OrgStore } from './orgStore';
import type { RequestSchemas } from './schemas';
import type { AllowanceViews } from './allowanceViews';
import type { OrgWorkflows } from './orgWorkflows';
import type { UsageBatcher } from './usageBatcher';

export interface ApiContext {
  settings: Settings;
  db: Pool;
  orgs: OrgStore;
  workflows: OrgWorkflows;
  usage: UsageBatcher<PricedUsageEvent>;
  logger: Logger;
  schemas: RequestSchemas;
  payments: PaymentProvider;
  /** What allowance checks are answered from. */
  allowances: AllowanceViews;
  providerEvents: ProviderEventHandler;
  /** This API's own base URL (the sandbox delivers its webhooks to it). */
  selfUrl: () => string;
  /** Answers whether Temporal is reachable, for /readyz. */
  temporalReady: () => Promise<void>;
}
