// "Billing and usage": balances (credit grants, their next expiry and each active grant when there
// are any), renewal, the usage chart and the burn-rate forecast.
import { html } from 'lit';
import { credits, date } from '../format';
import { LightElement } from '../light';
import type { BillingSummary, CreditGrant, Forecast, UsageDay } from '../types';
import { usageChart } from './usage-chart';

const CATEGORY: Record<CreditGrant['category'], string> = { promotional: 'Promotional', paid: 'Paid', goodwill: 'Goodwill' };

function grantsTable(grants: CreditGrant[]) {
  if (grants.length === 0) return '';
  return html`<div class="table-wrap">
    <table class="grants">
      <caption>Credit grants</caption>
      <thead>
        <tr><th scope="col">Name</th><th scope="col">Category</th><th scope="col">Remaining</th><th scope="col">Expires</th></tr>
      </thead>
      <tbody>
        ${grants.map(
          (g) => html`<tr>
            <th scope="row">${g.name}</th>
            <td>${CATEGORY[g.category]}</td>
            <td>${credits(g.remaining)} of ${credits(g.credits)}</td>
            <td>${g.expiresAt ? date(g.expiresAt) : 'Never'}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

const days = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'day' : 'days'}`;

function forecastText(f: Forecast): string {
  if (f.burnRateCreditsPerDay === 0) return 'No usage in the last 7 days: nothing to forecast.';
  const parts = [`At the current rate of ${credits(f.burnRateCreditsPerDay)} credits a day`];
  if (f.daysUntilThreshold !== null) parts.push(`the recharge threshold is reached in ${days(f.daysUntilThreshold)}`);
  if (f.daysUntilEmpty !== null) parts.push(`credits run out in ${days(f.daysUntilEmpty)}`);
  let text = `${parts.join(', ')}.`;
  text += ` Projected recharges this period: ${f.projectedRechargesThisPeriod}.`;
  if (f.capReachedBeforeRenewal) text += ' The monthly recharge limit will be reached before renewal.';
  return text;
}

export class UsageSection extends LightElement {
  static override properties = { billing: { attribute: false }, usage: { attribute: false }, grants: { attribute: false }, forecast: { attribute: false } };
  declare billing: BillingSummary;
  declare usage: UsageDay[];
  /** The active grants, newest first. */
  declare grants: CreditGrant[];
  declare forecast: Forecast | null;

  override render() {
    const b = this.billing;
    return html`
      <section aria-labelledby="usage-heading">
        <h2 id="usage-heading">Billing and usage</h2>
        <dl class="figures">
          <div><dt>Available balance</dt><dd>${credits(b.availableCredits)} credits</dd></div>
          <div><dt>Remaining plan credits</dt><dd>${credits(b.planCredits.remaining)} of ${credits(b.planCredits.allowance)}</dd></div>
          ${b.grantCredits > 0 || b.nextExpiry
            ? html`<div>
                <dt>Credit grants</dt>
                <dd>${credits(b.grantCredits)}${b.nextExpiry ? html`<span class="note">, ${credits(b.nextExpiry.credits)} expire ${date(b.nextExpiry.at)}</span>` : ''}</dd>
              </div>`
            : ''}
          <div><dt>Wallet</dt><dd>${credits(b.topUpCredits)}</dd></div>
          <div><dt>Next cycle renewal</dt><dd>${date(b.nextRenewalAt)}</dd></div>
        </dl>
        ${grantsTable(this.grants ?? [])}
        ${usageChart(this.usage)}
        ${this.forecast ? html`<p class="forecast">${forecastText(this.forecast)}</p>` : ''}
      </section>
    `;
  }
}

customElements.define('usage-section', UsageSection);
