// A usage event as the API records it: already priced from the price book.

export interface PricedUsageEvent {
  id: string;
  agentId: string;
  meter: string;
  quantity: number;
  credits: number;
  occurredAt: string;
}
