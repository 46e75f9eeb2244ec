// Allowance checks, which agents make before every conversation, answered without waiting for
// the organization's workflow (Temporal answers a query only after the workflow task in progress).
//
// A view is kept in memory for ALLOWANCE_CACHE_MS. Usage this API accepts is applied to it at
// once, with the workflow's own rules, so a check after a 202 reflects it. When the view is
// older, it is read again from PostgreSQL: the view the workflow committed with its records,
// plus the usage accepted here that the committed view does not include yet. A settings write
// leaves the view its answer implies (the summary of the state right after it); without one,
// the next check asks the workflow, as it does for an organization whose view PostgreSQL does
// not have yet or cannot give.
import type { Pool } from 'pg';
import type { Allowance } from '../domain/agents';
import { viewAllowance, withUsage, type AllowanceView, type UsageDebit } from '../domain/allowanceView';
import type { Logger } from '../observability/logger';

export interface CommittedView {
  view: AllowanceView;
  /** Which of the usage event ids asked about the view includes. */
  includedUsageIds: Set<string>;
}

export interface AllowanceSources {
  /** The view as of the organization's committed records; null before its first write or when PostgreSQL cannot answer. */
  committed(orgId: string, usageIds: string[]): Promise<CommittedView | null>;
  /** The workflow's view: every usage event accepted before the call is in it. */
  current(orgId: string): Promise<AllowanceView>;
}

/** Usage of one accepted request, summed per agent; `lastId` is its last event. */
interface AcceptedUsage {
  lastId: string;
  usage: UsageDebit[];
}

interface OrgViews {
  cached?: { at: number; view: AllowanceView };
  /** Usage accepted through this API, in the order the workflow receives it, not yet seen in a committed view. */
  accepted: AcceptedUsage[];
  /** A settings write whose effect no view here includes yet: the next check asks the workflow. */
  askWorkflow: boolean;
  /** Grows with every usage accepted and settings change: a view loaded meanwhile may miss them. */
  changes: number;
  /** Grows with every settings change: a workflow answer given meanwhile may miss it. */
  settingsChanges: number;
  settingsWritesInFlight: number;
  load?: Promise<AllowanceView>;
}

/** A settings write in progress, from `settingsWriteStarted` to `settingsWriteFinished`. */
export interface SettingsWrite {
  orgId: string;
  changesAtStart: number;
}

/** Accepted requests remembered per organization until the committed view includes them; older ones merge. */
const MAX_ACCEPTED_PER_ORG = 64;
/** Organizations remembered; beyond it, those with nothing pending are forgotten first. */
const MAX_ORGS = 100_000;

/** Credits per agent: what the view needs of a request's events. */
function perAgent(usage: UsageDebit[]): UsageDebit[] {
  const sums = new Map<string, number>();
  for (const { agentId, credits } of usage) sums.set(agentId, (sums.get(agentId) ?? 0) + credits);
  return [...sums].map(([agentId, credits]) => ({ agentId, credits }));
}

export class AllowanceViews {
  private readonly orgs = new Map<string, OrgViews>();

  constructor(
    private readonly sources: AllowanceSources,
    private readonly ttlMs: number,
  ) {}

  async allowance(orgId: string, agentId: string): Promise<Allowance> {
    return viewAllowance(await this.view(orgId), agentId);
  }

  private org(orgId: string): OrgViews {
    let org = this.orgs.get(orgId);
    if (!org) {
      org = { accepted: [], askWorkflow: false, changes: 0, settingsChanges: 0, settingsWritesInFlight: 0 };
      this.orgs.set(orgId, org);
      if (this.orgs.size > MAX_ORGS) this.forgetOneIdle();
    }
    return org;
  }

  /** Drops the oldest organization that holds only a cached view (nothing that a later check needs). */
  private forgetOneIdle() {
    for (const [id, org] of this.orgs) {
      if (org.accepted.length === 0 && !org.askWorkflow && org.settingsWritesInFlight === 0 && !org.load) {
        this.orgs.delete(id);
        return;
      }
    }
  }

  private view(orgId: string): Promise<AllowanceView> {
    const org = this.org(orgId);
    if (org.cached && Date.now() - org.cached.at < this.ttlMs) return Promise.resolve(org.cached.view);
    org.load ??= this.load(orgId, org).finally(() => (org.load = undefined));
    return org.load;
  }

  private async load(orgId: string, org: OrgViews): Promise<AllowanceView> {
    const startedAt = Date.now();
    const changesAtStart = org.changes;
    const settingsChangesAtStart = org.settingsChanges;
    const askedAbout = [...org.accepted];
    const committed = org.askWorkflow ? null : await this.sources.committed(orgId, askedAbout.map((a) => a.lastId));
    let view: AllowanceView;
    let seen: number; // how many of `askedAbout` the view includes
    if (committed) {
      // The workflow commits usage in the order it received it: the last included request tells which went before.
      seen = askedAbout.map((a) => committed.includedUsageIds.has(a.lastId)).lastIndexOf(true) + 1;
      view = withUsage(committed.view, askedAbout.slice(seen).flatMap((a) => a.usage));
    } else {
      view = await this.sources.current(orgId);
      seen = askedAbout.length;
    }
    org.accepted = org.accepted.filter((a) => !askedAbout.slice(0, seen).includes(a));
    const settingsUnchanged = org.settingsChanges === settingsChangesAtStart && org.settingsWritesInFlight === 0;
    // The workflow's answer includes every settings change before it; usage accepted meanwhile stays remembered.
    if (!committed && settingsUnchanged) org.askWorkflow = false;
    // Usage accepted or settings changed meanwhile may be missing: answer with the view, but do not keep it.
    if (org.changes === changesAtStart && settingsUnchanged && this.ttlMs > 0) org.cached = { at: startedAt, view };
    return view;
  }

  /** Usage the workflow has accepted (its signal is in the history), applied to the view at once. */
  usageAccepted(orgId: string, events: Array<{ id: string } & UsageDebit>): void {
    if (events.length === 0) return;
    const org = this.org(orgId);
    const usage = perAgent(events);
    org.changes++;
    org.accepted.push({ lastId: events[events.length - 1].id, usage });
    // Merged, the pair counts as included only once its later request is: never too generous.
    if (org.accepted.length > MAX_ACCEPTED_PER_ORG) {
      const [older, newer] = org.accepted;
      org.accepted.splice(0, 2, { lastId: newer.lastId, usage: perAgent([...older.usage, ...newer.usage]) });
    }
    if (org.cached) org.cached.view = withUsage(org.cached.view, usage);
  }

  settingsWriteStarted(orgId: string): SettingsWrite {
    const org = this.org(orgId);
    org.changes++;
    org.settingsChanges++;
    org.settingsWritesInFlight++;
    org.cached = undefined;
    org.askWorkflow = true;
    return { orgId, changesAtStart: org.changes };
  }

  /**
   * `after` is the view the write answered with, when it did: the state right after the write,
   * which includes every usage accepted before it. Kept if nothing else changed meanwhile.
   */
  settingsWriteFinished(write: SettingsWrite, after?: AllowanceView): void {
    const org = this.org(write.orgId);
    org.settingsWritesInFlight--;
    if (!after || org.changes !== write.changesAtStart || org.settingsWritesInFlight > 0) return;
    org.accepted = [];
    org.askWorkflow = false;
    if (this.ttlMs > 0) org.cached = { at: Date.now(), view: after };
  }

  /** A provider event may have changed any organization: every next check asks the workflow. */
  anyOrgChanged(): void {
    for (const org of this.orgs.values()) {
      org.changes++;
      org.settingsChanges++;
      org.cached = undefined;
      org.askWorkflow = true;
    }
  }
}

/** The committed view from PostgreSQL, and which of the asked usage events it includes, in one round trip. */
export function committedViewsIn(db: Pool, logger: Logger): AllowanceSources['committed'] {
  return async (orgId, usageIds) => {
    try {
      const { rows } = await db.query<{ plan_remaining: string; top_up: string; subscription_active: boolean; agents: AllowanceView['agents']; included: string[] }>(
        `SELECT v.plan_remaining, v.top_up, v.subscription_active, v.agents,
                ARRAY(SELECT u.id FROM usage_events u WHERE u.org_id = v.org_id AND u.id = ANY($2::text[]) AND u.seq <= v.usage_seq) AS included
         FROM allowance_views v WHERE v.org_id = $1`,
        [orgId, usageIds],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        view: { pools: { planRemaining: Number(row.plan_remaining), topUp: Number(row.top_up) }, subscriptionActive: row.subscription_active, agents: row.agents },
        includedUsageIds: new Set(row.included),
      };
    } catch (err) {
      logger.warn({ err, orgId }, 'allowance view not read from PostgreSQL; asking the workflow');
      return null;
    }
  };
}
