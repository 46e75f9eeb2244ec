// Credit grants: credits given with a name, a category, a priority and an optional expiry, spent
// after plan credits and before the wallet. PostgreSQL spends them (record_usage) and expires them
// (store/grants.ts); these are the rules both follow, for the simulation and the tests.

export const GRANT_CATEGORIES = ['promotional', 'paid', 'goodwill'] as const;
export type GrantCategory = (typeof GRANT_CATEGORIES)[number];
export const GRANT_STATUSES = ['active', 'expired', 'voided'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];
export const DEFAULT_GRANT_PRIORITY = 50;
export const MAX_GRANT_PRIORITY = 100;

export interface CreditGrant {
  id: string;
  name: string;
  category: GrantCategory;
  priority: number;
  credits: number;
  remaining: number;
  expired: number;
  voided: number;
  /** A paid grant's credits taken back by refunds and disputes of its payment. */
  refunded: number;
  expiresAt: string | null;
  createdAt: string;
  expiredAt: string | null;
  voidedAt: string | null;
  status: GrantStatus;
}

/** What the spend order needs of a grant. */
export interface SpendableGrant {
  id: string;
  priority: number;
  /** ISO time, or null: never. */
  expiresAt: string | null;
  /** Creation order (credit_grants.seq). */
  seq: number;
  remaining: number;
}

/** The spend order: priority (lower first), then soonest expiry (none last), then creation. */
export function spendOrder(a: SpendableGrant, b: SpendableGrant): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const expiry = (g: SpendableGrant) => (g.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(g.expiresAt));
  if (expiry(a) !== expiry(b)) return expiry(a) < expiry(b) ? -1 : 1;
  return a.seq - b.seq;
}

/** Which grants `credits` come from, in spend order, as far as they last (what is left: the wallet's). */
export function splitAcrossGrants(grants: readonly SpendableGrant[], credits: number): Array<{ grantId: string; credits: number }> {
  const taken: Array<{ grantId: string; credits: number }> = [];
  let left = credits;
  for (const grant of [...grants].sort(spendOrder)) {
    if (left <= 0) break;
    const take = Math.min(grant.remaining, left);
    if (take <= 0) continue;
    taken.push({ grantId: grant.id, credits: take });
    left -= take;
  }
  return taken;
}

/** A grant's status at `now`: voided, expired (swept, or past its expiry and not swept yet), or active. */
export function grantStatus(grant: { voidedAt: string | null; expiredAt: string | null; expiresAt: string | null }, now: number): GrantStatus {
  if (grant.voidedAt !== null) return 'voided';
  if (grant.expiredAt !== null || (grant.expiresAt !== null && Date.parse(grant.expiresAt) <= now)) return 'expired';
  return 'active';
}
