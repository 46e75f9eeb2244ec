// "Account Manager" (agencies): the sub-accounts, their monthly auto allocation with its estimate
// as you type, and their auto-recharge, which the agency sees but cannot change.
import { html } from 'lit';
import { allocationChargeCents } from '../../../domain/allocation';
import { cardLabel, type CardView } from '../../../domain/cards';
import { api, orgPath } from '../api';
import { credits, dateTime, money } from '../format';
import { LightElement } from '../light';
import { AGENCY_READ_ONLY, changed, OWNER_ONLY, type BillingSummary, type PriceBook, type SubAccount } from '../types';
import { noticeView, type Notice } from '../notice';


export class AccountManagerSection extends LightElement {
  static override properties = {
    org: { attribute: false },
    subAccounts: { attribute: false },
    priceBook: { attribute: false },
    owner: { attribute: false },
    paymentMethod: { attribute: false },
    selected: { state: true },
    subBilling: { state: true },
    basic: { state: true },
    premium: { state: true },
    message: { state: true },
    cards: { state: true },
    cardChoice: { state: true },
  };
  declare org: string;
  declare subAccounts: SubAccount[];
  declare priceBook: PriceBook;
  declare owner: boolean;
  declare paymentMethod: CardView | null;
  declare selected: SubAccount | undefined;
  declare subBilling: BillingSummary | undefined;
  declare basic: number;
  declare premium: number;
  declare message: Notice | undefined;
  /** The agency's cards, for the allocation's own card; '' in cardChoice: the default card. */
  declare cards: Array<CardView & { isDefault: boolean }>;
  declare cardChoice: string;

  private get dialog(): HTMLDialogElement {
    return this.querySelector<HTMLDialogElement>('#allocation-dialog')!;
  }

  private async manage(sub: SubAccount): Promise<void> {
    this.selected = sub;
    this.basic = 0;
    this.premium = 0;
    this.message = undefined;
    this.subBilling = undefined;
    this.cardChoice = '';
    this.cards = [];
    await this.updateComplete;
    this.dialog.showModal();
    api<{ paymentMethods: Array<CardView & { isDefault: boolean }> }>('GET', orgPath(this.org, '/payment-methods')).then(
      ({ body }) => (this.cards = body.paymentMethods),
      () => undefined,
    );
    try {
      this.subBilling = (await api<BillingSummary>('GET', orgPath(sub.id, '/billing'))).body;
    } catch {
      this.subBilling = undefined;
    }
  }

  private async save(event: Event): Promise<void> {
    event.preventDefault();
    const sub = this.selected!;
    try {
      const { body } = await api('PUT', orgPath(this.org, `/sub-accounts/${encodeURIComponent(sub.id)}/auto-allocation`), {
        basicMinutes: this.basic,
        premiumMinutes: this.premium,
        ...(this.cardChoice ? { paymentMethodId: this.cardChoice } : {}),
      });
      const next = body.nextRunAt ? `, next on ${dateTime(body.nextRunAt)}` : '';
      const card = body.paymentMethod ? `, charged to ${cardLabel(body.paymentMethod)}` : '';
      this.message = { kind: 'status', text: `Auto allocation saved: ${money(body.estimatedMonthlyChargeCents)} a month${next}${card}.` };
      changed(this);
    } catch (err) {
      this.message = { kind: 'alert', text: (err as Error).message };
    }
  }

  /** Which card the allocation will charge: the default, or one of the agency's other cards. */
  private cardPicker(off: boolean) {
    const cards = this.cards ?? [];
    const charged = this.cardChoice ? cards.find((c) => c.id === this.cardChoice) : this.paymentMethod;
    if (!charged) return html`<p>The agency has no card on file: add one under Auto-Recharge first.</p>`;
    const others = cards.filter((c) => !c.isDefault);
    return html`${others.length > 0
        ? html`<p><label for="alloc-card">Card</label><select id="alloc-card" ?disabled=${off} @change=${(e: Event) => (this.cardChoice = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${!this.cardChoice}>The default card</option>
            ${others.map((c) => html`<option value=${c.id} ?selected=${this.cardChoice === c.id}>${cardLabel(c)}</option>`)}
          </select></p>`
        : ''}
      <p>Charged to ${cardLabel(charged)}.</p>`;
  }

  private subAutoRecharge() {
    const ar = this.subBilling?.autoRecharge;
    if (!ar) return '';
    return html`<div class="read-only">
      <h3>Auto-recharge of this sub-account</h3>
      <p>${ar.enabled ? 'On' : 'Off'} · threshold ${credits(ar.thresholdCredits)} credits · recharge ${credits(ar.rechargeCredits)} credits · ${ar.rechargesUsedThisMonth}/${ar.maxRechargesPerMonth} recharges used this month</p>
      <p class="note">${AGENCY_READ_ONLY}</p>
    </div>`;
  }

  override render() {
    const off = !this.owner;
    const minutes = (set: (n: number) => void) => (e: Event) => set(Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value) || 0)));
    const estimate = allocationChargeCents({ basicMinutes: this.basic ?? 0, premiumMinutes: this.premium ?? 0 }, this.priceBook.allocationRates, this.priceBook.creditPricePer1000Cents);
    return html`
      <section aria-labelledby="am-heading">
        <h2 id="am-heading">Account Manager</h2>
        ${off ? html`<p class="note">${OWNER_ONLY}</p>` : ''}
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Sub-account</th><th scope="col">Available credits</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              ${this.subAccounts.map(
                (sub) => html`<tr aria-label=${sub.name}>
                  <th scope="row">${sub.name}</th>
                  <td>${credits(sub.availableCredits)}</td>
                  <td><button type="button" @click=${() => this.manage(sub)}>Manage auto allocation</button></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        <dialog id="allocation-dialog" aria-labelledby="allocation-heading">
          <form @submit=${this.save}>
            <h2 id="allocation-heading">Auto allocation for ${this.selected?.name ?? ''}</h2>
            <p>Minutes bought for this sub-account every month.</p>
            <p><label for="alloc-basic">Basic minutes</label><input id="alloc-basic" type="number" min="0" step="1" .value=${String(this.basic ?? 0)} ?disabled=${off} @input=${minutes((n) => (this.basic = n))} /></p>
            <p><label for="alloc-premium">Premium minutes</label><input id="alloc-premium" type="number" min="0" step="1" .value=${String(this.premium ?? 0)} ?disabled=${off} @input=${minutes((n) => (this.premium = n))} /></p>
            <p><span id="alloc-estimate-label">Estimated monthly charge</span>: <output aria-labelledby="alloc-estimate-label" aria-live="polite">${money(estimate)}</output></p>
            ${this.cardPicker(off)}
            ${noticeView(this.message, false)}
            <div class="actions">
              <button type="submit" ?disabled=${off}>Save</button>
              <button type="button" class="secondary" @click=${() => this.dialog.close()}>Close</button>
            </div>
            ${this.subAutoRecharge()}
          </form>
        </dialog>
      </section>
    `;
  }
}

customElements.define('account-manager-section', AccountManagerSection);
