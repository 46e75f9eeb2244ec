// The whole page: loads what every section shows and refreshes it every 2 s. Polling, not
// server-sent events: one round of small reads, no server state per open page, and it works
// behind any proxy; a change made here refreshes at once.
import { html } from 'lit';
import { api, orgPath } from './api';
import { LightElement } from './light';
import './sections/usage-section';
import './sections/auto-recharge-section';
import './sections/top-up-section';
import './sections/agents-section';
import './sections/activity-section';
import './sections/account-manager-section';
import './sections/billing-history-section';
import { CHANGED, type BillingEvent, type BillingSummary, type CreditGrant, type Forecast, type Payment, type PriceBook, type Session, type SubAccount, type UsageDay } from './types';

const POLL_MS = 2_000;
const DAY_MS = 86_400_000;

interface Data {
  name: string;
  billing: BillingSummary;
  forecast: Forecast | null;
  usage: UsageDay[];
  grants: CreditGrant[];
  events: BillingEvent[];
  eventsCursor: string | null;
  subAccounts: SubAccount[];
  payments: Payment[];
}

/** The chart's days: this period so far (a month before the renewal), at most the last 31 days. */
function usageRange(nextRenewalAt: string | null): { from: string; to: string } {
  const today = new Date();
  let start = new Date(today.getTime() - 30 * DAY_MS);
  if (nextRenewalAt) {
    const periodStart = new Date(nextRenewalAt);
    periodStart.setUTCMonth(periodStart.getUTCMonth() - 1);
    if (periodStart > start && periodStart <= today) start = periodStart;
  }
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return { from: day(start), to: day(today) };
}

export class BillingPortal extends LightElement {
  static override properties = { session: { attribute: false }, data: { state: true }, failure: { state: true } };
  declare session: Session;
  declare data: Data | undefined;
  declare failure: string | undefined;
  private priceBook: PriceBook | undefined;
  private timer: number | undefined;
  private loading = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener(CHANGED, () => void this.refresh());
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), POLL_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      const org = this.session.org;
      const get = async <T>(path: string) => (await api<T>('GET', path)).body;
      this.priceBook ??= await get<PriceBook>('/v1/price-book');
      const billing = await get<BillingSummary>(orgPath(org, '/billing'));
      const { from, to } = usageRange(billing.nextRenewalAt);
      const [record, forecast, usage, grants, events, subAccounts, payments] = await Promise.all([
        get<{ name: string }>(orgPath(org)),
        get<Forecast>(orgPath(org, '/forecast')).catch(() => null),
        get<{ days: UsageDay[] }>(orgPath(org, `/usage/daily?from=${from}&to=${to}`)),
        get<{ grants: CreditGrant[] }>(orgPath(org, '/credit-grants?status=active')),
        get<{ events: BillingEvent[]; nextCursor: string | null }>(orgPath(org, '/events?limit=20')),
        get<{ subAccounts: SubAccount[] }>(orgPath(org, '/sub-accounts')),
        get<{ payments: Payment[] }>(orgPath(org, '/payments?limit=20')),
      ]);
      this.data = { name: record.name, billing, forecast, usage: usage.days, grants: grants.grants, events: events.events, eventsCursor: events.nextCursor, subAccounts: subAccounts.subAccounts, payments: payments.payments };
      this.failure = undefined;
    } catch (err) {
      this.failure = (err as Error).message;
    } finally {
      this.loading = false;
    }
  }

  override render() {
    const d = this.data;
    const alert = this.failure ? html`<p role="alert" class="banner">${this.failure}</p>` : '';
    if (!d || !this.priceBook) return html`<h1>Billing</h1>${alert}<p role="status">Loading…</p>`;
    const owner = this.session.role === 'owner';
    return html`
      <header>
        <h1>Billing</h1>
        <p class="muted">${d.name} · ${owner ? 'Owner' : 'Member'}</p>
      </header>
      ${alert}
      <usage-section .billing=${d.billing} .usage=${d.usage} .grants=${d.grants} .forecast=${d.forecast}></usage-section>
      <auto-recharge-section .org=${this.session.org} .billing=${d.billing} .priceBook=${this.priceBook} .owner=${owner}></auto-recharge-section>
      <top-up-section .org=${this.session.org} .billing=${d.billing} .priceBook=${this.priceBook} .owner=${owner} .stripeKey=${this.session.stripePublishableKey}></top-up-section>
      <agents-section .org=${this.session.org} .agents=${d.billing.agents} .agentCount=${d.billing.agentCount} .owner=${owner}></agents-section>
      <activity-section .org=${this.session.org} .latest=${d.events} .latestCursor=${d.eventsCursor}></activity-section>
      <billing-history-section .payments=${d.payments}></billing-history-section>
      ${d.subAccounts.length
        ? html`<account-manager-section .org=${this.session.org} .subAccounts=${d.subAccounts} .priceBook=${this.priceBook} .owner=${owner} .paymentMethod=${d.billing.paymentMethod}></account-manager-section>`
        : ''}
    `;
  }
}

customElements.define('billing-portal', BillingPortal);
