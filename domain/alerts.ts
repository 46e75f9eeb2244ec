// Alert ladders (issue 19 §4): what an organization may ask to be told about. PostgreSQL decides
// when an alert fires and re-arms (migrations: alert_crossed and the balances trigger), in the
// transaction of each balance change.

export const ALERT_TYPES = ['available_below', 'plan_used_percent'] as const;

/** At most this many alerts per organization: each is evaluated on every balance change. */
export const MAX_ALERTS = 10;

export type AlertDefinition =
  /** Fires when available credits go below `credits`; re-arms when they are back at or above it. */
  | { id: string; type: 'available_below'; credits: number }
  /** Fires when the plan credits used this period reach `percent`% of what the period granted; re-arms at renewal. */
  | { id: string; type: 'plan_used_percent'; percent: number };

export type Alert = AlertDefinition & {
  /** Not triggered: it fires at its next crossing. An alert already crossed when saved starts disarmed. */
  armed: boolean;
  /** When it last fired; null: never. */
  lastTriggeredAt: string | null;
};
