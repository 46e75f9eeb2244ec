// What every route handler works with.
import type { Pool } from 'pg';
import type { Logger } from '../config/logger';
import type { Settings } from '../config/settings';
import type { PricedUsageEvent } from '../domain/state';
import type { OrgStore } from './orgStore';
import type { OrgWorkflows } from './orgWorkflows';
import type { UsageBatcher } from './usageBatcher';

export interface ApiContext {
  settings: Settings;
  db: Pool;
  orgs: OrgStore;
  workflows: OrgWorkflows;
  usage: UsageBatcher<PricedUsageEvent>;
  logger: Logger;
  /** Answers whether Temporal is reachable, for /readyz. */
  temporalReady: () => Promise<void>;
}
