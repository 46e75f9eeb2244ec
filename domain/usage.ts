// A usage event as the API records it: already priced from the price book.

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * How far from the moment it is received a usage event's occurredAt may be, as Stripe's meter
 * events allow: 35 days back (late reports), 5 minutes ahead (clock skew).
 */
export const OCCURRED_AT_WINDOW = { pastMs: 35 * DAY_MS, futureMs: 5 * MINUTE_MS } as const;

export function occurredAtAccepted(occurredAt: number, receivedAt: number): boolean {
  return occurredAt >= receivedAt - OCCURRED_AT_WINDOW.pastMs && occurredAt <= receivedAt + OCCURRED_AT_WINDOW.futureMs;
}

export interface PricedUsageEvent {
  id: string;
  agentId: string;
  meter: string;
  quantity: number;
  credits: number;
  /** Null: it occurred when recorded (the request's transaction time, record_usage). */
  occurredAt: string | null;
}
