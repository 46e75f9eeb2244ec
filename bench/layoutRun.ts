// What the phases of one layout share: its stack, the organizations created and the events accepted
// (for the exactly-once check), the runs of the load generator, and the figures.
import { ops, ROUNDS, RUN, SECONDS, type Layout } from './config';
import { cpuDuring } from './cpu';
import { call, expectOk, inParallel } from './http';
import { ingest, merged, type IngestRun } from './ingest';
import type { LayoutStack } from './layoutStack';
import { sum } from './numbers';

export interface LayoutFigures {
  layout: Layout;
  peer: Record<string, any>;
  service: Record<string, any>;
  ratios: Record<string, number>;
  checks: { exactlyOnce: boolean; no429: boolean };
}

export class LayoutRun {
  /** Every organization created on the service: the exactly-once check reads them all. */
  readonly created: string[] = [];
  /** Events the service answered 202, by organization. */
  readonly accepted = new Map<string, number>();
  /** Events the peer answered 202. */
  peerAccepted = 0;
  readonly figures: LayoutFigures;

  constructor(
    layout: Layout,
    readonly stack: LayoutStack,
  ) {
    this.figures = { layout, peer: {}, service: {}, ratios: {}, checks: { exactlyOnce: false, no429: true } };
  }

  addAccepted(byOrg: Map<string, number>): void {
    byOrg.forEach((n, id) => this.accepted.set(id, (this.accepted.get(id) ?? 0) + n));
  }

  async createOrgs(prefix: string, count: number, { planCredits = 1_000_000_000, setup = async (_id: string) => undefined } = {}): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${RUN}-${i}`);
    const periodEnd = new Date(Date.now() + 30 * 86400_000).toISOString();
    await inParallel(ids, 16, async (id) => {
      await expectOk(call(this.stack.app.url, 'POST', '/v1/orgs', ops, { id, name: id }));
      this.created.push(id);
      await expectOk(call(this.stack.app.url, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits, currentPeriodEnd: periodEnd }));
      await setup(id);
    });
    return ids;
  }

  /**
   * Organizations whose usage is paid by credit grants (issue 19: ingestion must hold with grants
   * present): no plan credits, three grants of different priorities and expiries, so every event
   * goes through record_usage's grant steps.
   */
  async createOrgsWithGrants(prefix: string, count: number): Promise<string[]> {
    const expiresAt = new Date(Date.now() + 365 * 86400_000).toISOString();
    const grants = [
      { credits: 300_000_000, name: 'promo', category: 'promotional', priority: 10, expiresAt },
      { credits: 300_000_000, name: 'paid', category: 'paid', priority: 50, expiresAt },
      { credits: 400_000_000, name: 'goodwill', category: 'goodwill', priority: 50 },
    ];
    return this.createOrgs(prefix, count, {
      planCredits: 0,
      setup: async (id) => {
        for (const grant of grants) await expectOk(call(this.stack.app.url, 'POST', `/v1/orgs/${id}/credit-grants`, ops, grant));
      },
    });
  }

  /** A run of the service, counted for exactly-once. */
  async serviceRun(orgIds: string[], tag: string, seconds: number): Promise<IngestRun> {
    const { app, temporalPort } = this.stack;
    const { result, coresUsed } = await cpuDuring(temporalPort, this.stack.servicePids(), () => ingest(app.url, orgIds, tag, seconds));
    this.addAccepted(result.acceptedByOrg);
    return { ...result, coresUsed };
  }

  async peerRun(orgIds: string[], tag: string, seconds: number): Promise<IngestRun> {
    const { peer, temporalPort } = this.stack;
    const { result, coresUsed } = await cpuDuring(temporalPort, { peer: peer.pid! }, () => ingest(peer.url, orgIds, tag, seconds));
    this.peerAccepted += sum(result.acceptedByOrg.values());
    return { ...result, coresUsed };
  }

  /**
   * The peer and the service under the same load, SECONDS each, in ROUNDS alternating runs
   * (peer, service, then service, peer, ...): load that other programs put on the machine meanwhile
   * falls on both alike.
   */
  async sideBySide(peerOrgs: string[], serviceOrgs: string[], tag: string) {
    const peerRuns: IngestRun[] = [];
    const serviceRuns: IngestRun[] = [];
    const seconds = SECONDS / ROUNDS;
    for (let k = 0; k < ROUNDS; k++) {
      const inOrder = [
        () => this.peerRun(peerOrgs, `peer-${tag}-${k}`, seconds).then((r) => peerRuns.push(r)),
        () => this.serviceRun(serviceOrgs, `${tag}-${k}`, seconds).then((r) => serviceRuns.push(r)),
      ];
      if (k % 2 === 1) inOrder.reverse();
      for (const run of inOrder) await run();
    }
    return { peer: merged(peerRuns), service: merged(serviceRuns) };
  }
}
