// Allowance checks, which agents make before every conversation, answered without waiting for
// the organization's workflow (Temporal answers a query only after the workflow task in progress).
//
// A view is kept in memory for ALLOWANCE_CACHE_MS. Usage this API accepts is applied to it at
// once, with the workflow's own rules, so a check after a 202 reflects it. When the view is
// older, it is read again from PostgreSQL: the view the workflow committed with its records,
// plus the usage accepted here that the committed view does not include yet. After a settings
// write the workflow is asked (at once, in the background), and committed views older than its
// answer are not used; so is it for an organization whose view PostgreSQL does not have yet or
// cannot give.
import type { Pool } from 'pg';
import type { Allowance } from '../domain/agents';
import { viewAllowance, withUsage, type AllowanceView, type UsageDebit, type VersionedView } from '../domain/allowanceView';
import type { Logger } from '../observability/logger';

export interface CommittedView extends VersionedView {
  /** Which of the usage event ids asked about the view includes. */
  includedUsageIds: Set<string>;
}

export interface AllowanceSources {
  /** The view as of the organization's committed records; null before its first write or when PostgreSQL cannot answer. */
  committed(orgId: string, usageIds: string[]): Promise<CommittedView | null>;
  /** The workflow's view: every write accepted before the call is in it. */
  current(orgId: string): Promise<VersionedView>;
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
  /** The version of the newest workflow answer: an older committed view misses what it showed. */
  minVersion: number;
  /** Grows with every usage accepted and settings change: a view loaded meanwhile may miss them. */
  changes: number;
  /** Grows with every settings change: a workflow answer given meanwhile may miss it. */
  settingsChanges: number;
  settingsWritesInFlight: number;
  load?: Promise<AllowanceView>;
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
  /** Loads no request waits for (after settings writes). */
  private readonly background = new Set<Promise<unknown>>();

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
      org = { accepted: [], askWorkflow: false, minVersion: 0, changes: 0, settingsChanges: 0, settingsWritesInFlight: 0 };
      this.orgs.set(orgId, org);
      if (this.orgs.size > MAX_ORGS) this.forgetOneIdle();
    }
    return org;
  }

  /**
   * Drops the oldest organization with no accepted usage to remember and nothing in progress. One
   * that still waits for a workflow answer after a settings write (rare: the answer is asked for at
   * once) may then read a committed view that lags that write, until it is committed.
   */
  private forgetOneIdle() {
    for (const [id, org] of this.orgs) {
      if (org.accepted.length === 0 && org.settingsWritesInFlight === 0 && !org.load) {
        this.orgs.delete(id);
        return;
      }
    }
  }

  private view(orgId: string): Promise<AllowanceView> {
    const org = this.org(orgId);
    if (org.cached && Date.now() - org.cached.at < this.ttlMs) return Promise.resolve(org.cached.view);
    if (!org.load) {
      // A write accepted meanwhile clears `load`: later checks then start their own.
      const load: Promise<AllowanceView> = this.load(orgId, org).finally(() => {
        if (org.load === load) org.load = undefined;
      });
      org.load = load;
    }
    return org.load;
  }

  private async load(orgId: string, org: OrgViews): Promise<AllowanceView> {
    const startedAt = Date.now();
    const changesAtStart = org.changes;
    const settingsChangesAtStart = org.settingsChanges;
    const writingAtStart = org.settingsWritesInFlight > 0;
    // A settings write in progress may or may not be in what this load finds.
    const settingsQuiet = () => org.settingsChanges === settingsChangesAtStart && org.settingsWritesInFlight === 0 && !writingAtStart;
    const askedAbout = [...org.accepted];
    let committed = org.askWorkflow ? null : await this.sources.committed(orgId, askedAbout.map((a) => a.lastId));
    if (committed && committed.version < org.minVersion) committed = null; // older than what the workflow showed
    let view: AllowanceView;
    if (committed) {
      // The workflow commits usage in the order it received it: the last included request tells which went before.
      const seen = askedAbout.map((a) => committed.includedUsageIds.has(a.lastId)).lastIndexOf(true) + 1;
      view = withUsage(committed.view, askedAbout.slice(seen).flatMap((a) => a.usage));
      const included = new Set(askedAbout.slice(0, seen));
      org.accepted = org.accepted.filter((a) => !included.has(a));
    } else {
      // Accepted usage stays remembered: the committed view may not have it yet.
      const current = await this.sources.current(orgId);
      view = current.view;
      org.minVersion = Math.max(org.minVersion, current.version);
      if (settingsQuiet()) org.askWorkflow = false;
    }
    // Usage accepted or settings changed meanwhile may be missing: answer with the view, but do not keep it.
    if (org.changes === changesAtStart && settingsQuiet() && this.ttlMs > 0) org.cached = { at: startedAt, view };
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
    org.load = undefined;
  }

  /** Settings changed (or may have): no view here shows them, so the next check asks the workflow. */
  private settingsChanged(org: OrgViews): void {
    org.changes++;
    org.settingsChanges++;
    org.cached = undefined;
    org.load = undefined;
    org.askWorkflow = true;
  }

  settingsWriteStarted(orgId: string): void {
    const org = this.org(orgId);
    org.settingsWritesInFlight++;
    this.settingsChanged(org);
  }

  /** Once the last write in progress is done, the workflow is asked at once, so that the next check need not. */
  settingsWriteFinished(orgId: string): void {
    const org = this.org(orgId);
    org.settingsWritesInFlight--;
    if (org.settingsWritesInFlight === 0 && this.ttlMs > 0) {
      const refresh = this.view(orgId).catch(() => undefined);
      this.background.add(refresh);
      void refresh.finally(() => this.background.delete(refresh));
    }
  }

  /** Resolves when no background load is left (before the Temporal connection closes). */
  async settled(): Promise<void> {
    await Promise.all([...this.background]);
  }

  /** A provider event may have changed any organization: every next check asks the workflow. */
  anyOrgChanged(): void {
    for (const org of this.orgs.values()) this.settingsChanged(org);
  }
}

/** The committed view from PostgreSQL, and which of the asked usage events it includes, in one round trip. */
export function committedViewsIn(db: Pool, logger: Logger): AllowanceSources['committed'] {
  return async (orgId, usageIds) => {
    try {
      const { rows } = await db.query<{ plan_remaining: string; top_up: string; subscription_active: boolean; agents: AllowanceView['agents']; version: string; included: string[] }>(
        `SELECT v.plan_remaining, v.top_up, v.subscription_active, v.agents, v.version,
                ARRAY(SELECT u.id FROM usage_events u WHERE u.org_id = v.org_id AND u.id = ANY($2::text[]) AND u.seq <= v.usage_seq) AS included
         FROM allowance_views v WHERE v.org_id = $1`,
        [orgId, usageIds],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        view: { pools: { planRemaining: Number(row.plan_remaining), topUp: Number(row.top_up) }, subscriptionActive: row.subscription_active, agents: row.agents },
        version: Number(row.version),
        includedUsageIds: new Set(row.included),
      };
    } catch (err) {
      logger.warn({ err, orgId }, 'allowance view not read from PostgreSQL; asking the workflow');
      return null;
    }
  };
}
