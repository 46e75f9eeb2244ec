// "Auto-Recharge": the owner's settings (a fixed amount or recharge to a target balance) with the
// price, the month's count, the simulation of the settings being typed, the disabled banner and the
// card that is the way back from it.
import { html } from 'lit';
import { rechargeCreditsFor, type RechargeMode } from '../../../domain/autoRecharge';
import { topUpAmountCents } from '../../../domain/pricing';
import { api, orgPath } from '../api';
import './cards-section';
import { credits, date, dateTime, money } from '../format';
import { LightElement } from '../light';
import { changed, OWNER_ONLY, type BillingSummary, type PriceBook } from '../types';
import { noticeView, type Notice } from '../notice';

interface Draft {
  enabled: boolean;
  thresholdCredits: number;
  rechargeCredits: number;
  maxRechargesPerMonth: number;
  mode: RechargeMode;
  /** null: none saved yet (the field then suggests threshold + amount). */
  targetCredits: number | null;
}


export class AutoRechargeSection extends LightElement {
  static override properties = {
    org: { attribute: false },
    billing: { attribute: false },
    priceBook: { attribute: false },
    owner: { attribute: false },
    draft: { state: true },
    message: { state: true },
    simulation: { state: true },
  };
  declare org: string;
  declare billing: BillingSummary;
  declare priceBook: PriceBook | undefined;
  declare owner: boolean;
  declare draft: Draft;
  declare message: Notice | undefined;
  declare simulation: string;
  /** Typed but not saved: the 2-second refresh must not overwrite it. */
  private dirty = false;
  private simulationTimer: number | undefined;

  override willUpdate(changes: Map<string, unknown>): void {
    if (changes.has('billing') && !this.dirty) {
      const { enabled, thresholdCredits, rechargeCredits, maxRechargesPerMonth, mode, targetCredits } = this.billing.autoRecharge;
      const fresh = { enabled, thresholdCredits, rechargeCredits, maxRechargesPerMonth, mode, targetCredits };
      if (JSON.stringify(fresh) !== JSON.stringify(this.draft)) {
        this.draft = fresh;
        this.simulate();
      }
    }
  }

  private edit(change: Partial<Draft>): void {
    this.dirty = true;
    this.draft = { ...this.draft, ...change };
    this.message = undefined;
    this.simulate();
  }

  /** Debounced: one simulation once typing pauses. */
  private simulate(): void {
    window.clearTimeout(this.simulationTimer);
    this.simulationTimer = window.setTimeout(async () => {
      const { enabled: _enabled, ...settings } = this.body();
      try {
        const { body } = await api('POST', orgPath(this.org, '/auto-recharge/simulate'), settings);
        const cap = body.capReachedAt ? `, cap reached on ${date(body.capReachedAt)}` : '';
        this.simulation = `With these settings over the last 30 days: ${body.recharges} ${body.recharges === 1 ? 'recharge' : 'recharges'}, ${money(body.chargedCents)}${cap}`;
      } catch {
        this.simulation = '';
      }
    }, 400);
  }

  /** The target shown and sent: the saved one, or threshold + amount until one is typed. */
  private target(): number {
    return this.draft.targetCredits ?? this.draft.thresholdCredits + this.draft.rechargeCredits;
  }

  /** The settings as the API takes them: a target only with to_target. */
  private body() {
    const { targetCredits: _target, ...settings } = this.draft;
    return settings.mode === 'to_target' ? { ...settings, targetCredits: this.target() } : settings;
  }

  private async save(event: Event): Promise<void> {
    event.preventDefault();
    try {
      const { body } = await api('PUT', orgPath(this.org, '/auto-recharge'), this.body());
      this.dirty = false;
      this.message = { kind: 'status', text: body.message };
      changed(this);
    } catch (err) {
      this.message = { kind: 'alert', text: (err as Error).message };
    }
  }

  /** What one recharge costs: fixed, the amount; to_target, what it buys from the threshold. */
  private costLine(): string {
    const price = this.billing.autoRecharge.pricePer1000CreditsCents;
    const d = this.draft;
    if (d.mode !== 'to_target') return `one recharge of ${credits(d.rechargeCredits)} credits costs ${money(topUpAmountCents(d.rechargeCredits, price))}`;
    const bought = rechargeCreditsFor({ ...d, targetCredits: this.target() }, d.thresholdCredits, this.priceBook?.minTopUpCredits ?? 0);
    return `Recharge to ${credits(this.target())} credits: from the threshold, one recharge buys ${credits(bought)} credits for ${money(topUpAmountCents(bought, price))}`;
  }

  override render() {
    const saved = this.billing.autoRecharge;
    const d = this.draft;
    const off = !this.owner;
    const num = (key: 'thresholdCredits' | 'rechargeCredits' | 'maxRechargesPerMonth' | 'targetCredits') => (e: Event) => this.edit({ [key]: Number((e.target as HTMLInputElement).value) });
    return html`
      <section aria-labelledby="ar-heading">
        <h2 id="ar-heading">Auto-Recharge</h2>
        ${off ? html`<p class="note">${OWNER_ONLY}</p>` : ''}
        ${saved.disabledReason
          ? html`<div class="banner" role="alert"><p>${saved.disabledReason}</p><p>Update the card below, then turn on "Enable auto-recharge" and save.</p></div>`
          : ''}
        <form @submit=${this.save}>
          <p class="switch">
            <input type="checkbox" id="ar-enabled" .checked=${d.enabled} ?disabled=${off} @change=${(e: Event) => this.edit({ enabled: (e.target as HTMLInputElement).checked })} />
            <label for="ar-enabled">Enable auto-recharge</label>
          </p>
          <fieldset class="choice" ?disabled=${off}>
            <legend>Each recharge</legend>
            <label><input type="radio" name="ar-mode" .checked=${d.mode === 'fixed'} @change=${() => this.edit({ mode: 'fixed' })} /> Adds a fixed amount</label>
            <label><input type="radio" name="ar-mode" .checked=${d.mode === 'to_target'} @change=${() => this.edit({ mode: 'to_target' })} /> Recharge to a target balance</label>
          </fieldset>
          <div class="fields">
            <p><label for="ar-threshold">Recharge threshold</label><input id="ar-threshold" type="number" min="0" step="1" inputmode="numeric" .value=${String(d.thresholdCredits)} ?disabled=${off} @input=${num('thresholdCredits')} /><span class="hint">credits</span></p>
            ${d.mode === 'to_target'
              ? html`<p><label for="ar-target">Target balance</label><input id="ar-target" type="number" min="0" step="1" inputmode="numeric" .value=${String(this.target())} ?disabled=${off} @input=${num('targetCredits')} /><span class="hint">credits</span></p>`
              : html`<p><label for="ar-amount">Recharge amount</label><input id="ar-amount" type="number" min="0" step="1" inputmode="numeric" .value=${String(d.rechargeCredits)} ?disabled=${off} @input=${num('rechargeCredits')} /><span class="hint">credits</span></p>`}
            <p><label for="ar-max">Max recharges per month</label><input id="ar-max" type="number" min="1" max="100" step="1" inputmode="numeric" .value=${String(d.maxRechargesPerMonth)} ?disabled=${off} @input=${num('maxRechargesPerMonth')} /></p>
          </div>
          <p>${money(saved.pricePer1000CreditsCents)} per 1,000 credits · ${this.costLine()}</p>
          <p>${saved.rechargesUsedThisMonth}/${saved.maxRechargesPerMonth} recharges used this month</p>
          <p>Last recharged: ${dateTime(saved.lastRechargedAt)}</p>
          <div class="actions">
            <button type="submit" ?disabled=${off}>Save</button>
            <p class="simulation" aria-live="polite">${this.simulation}</p>
          </div>
          ${noticeView(this.message)}
        </form>
        <cards-section .org=${this.org} .billing=${this.billing} .owner=${this.owner}></cards-section>
      </section>
    `;
  }
}

customElements.define('auto-recharge-section', AutoRechargeSection);
