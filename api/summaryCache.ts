// A short-lived cache of billing summaries for the allowance check, which agents call before every
// conversation. Writes through this API drop the organization's entry at once (a read after a
// write here reflects it); changes the workflow makes by itself (a recharge landing) show within
// the TTL.
import type { BillingSummary } from '../domain/summary';

const MAX_ENTRIES = 100_000;

export class SummaryCache {
  private readonly entries = new Map<string, { at: number; summary: Promise<BillingSummary> }>();

  constructor(
    private readonly load: (orgId: string) => Promise<BillingSummary>,
    private readonly ttlMs: number,
  ) {}

  get(orgId: string): Promise<BillingSummary> {
    const entry = this.entries.get(orgId);
    if (entry && Date.now() - entry.at < this.ttlMs) return entry.summary;
    const summary = this.load(orgId);
    if (this.ttlMs > 0) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(orgId, { at: Date.now(), summary });
      summary.catch(() => this.invalidate(orgId));
    }
    return summary;
  }

  invalidate(orgId?: string): void {
    if (orgId === undefined) this.entries.clear();
    else this.entries.delete(orgId);
  }
}
