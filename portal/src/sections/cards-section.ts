// "Cards": the organization's saved cards, "Add card" (the payment-method session: a hosted
// checkout that comes back here), and for each card "Make default" and "Remove".
import { html } from 'lit';
import { cardLabel, type CardView } from '../../../domain/cards';
import { api, ApiFailure, orgPath } from '../api';
import { LightElement } from '../light';
import { changed, type BillingSummary } from '../types';
import { noticeView, type Notice } from '../notice';

type ListedCard = CardView & { isDefault: boolean };

export class CardsSection extends LightElement {
  static override properties = {
    org: { attribute: false },
    billing: { attribute: false },
    owner: { attribute: false },
    cards: { state: true },
    message: { state: true },
    busy: { state: true },
  };
  declare org: string;
  declare billing: BillingSummary;
  declare owner: boolean;
  declare cards: ListedCard[] | undefined;
  declare message: Notice | undefined;
  declare busy: boolean;
  /** The default the list was read with: a new one (a card just saved, another tab) reads it again. */
  private listedFor: string | null | undefined;

  override willUpdate(changes: Map<string, unknown>): void {
    const current = this.billing?.paymentMethod?.id ?? null;
    if (changes.has('billing') && current !== this.listedFor) {
      this.listedFor = current;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    try {
      this.cards = (await api<{ paymentMethods: ListedCard[] }>('GET', orgPath(this.org, '/payment-methods'))).body.paymentMethods;
    } catch (err) {
      this.message = { kind: 'alert', text: (err as Error).message };
    }
  }

  /** To the hosted checkout; it sends the customer back to this page. */
  private async add(): Promise<void> {
    this.busy = true;
    try {
      const { body } = await api<{ url: string }>('POST', orgPath(this.org, '/payment-method-sessions'), { returnUrl: `${location.origin}${location.pathname}` });
      location.assign(body.url);
    } catch (err) {
      this.busy = false;
      this.message = { kind: 'alert', text: err instanceof ApiFailure ? err.message : String(err) };
    }
  }

  private async act(card: ListedCard, method: 'PUT' | 'DELETE'): Promise<void> {
    this.busy = true;
    try {
      const path = orgPath(this.org, `/payment-methods/${encodeURIComponent(card.id)}${method === 'PUT' ? '/default' : ''}`);
      await api(method, path);
      this.message = { kind: 'status', text: method === 'PUT' ? `${cardLabel(card)} is now the default card.` : `${cardLabel(card)} removed.` };
      await this.load();
      changed(this);
    } catch (err) {
      this.message = { kind: 'alert', text: err instanceof ApiFailure ? err.message : String(err) };
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const off = !this.owner || this.busy;
    const cards = this.cards ?? [];
    return html`
      <div class="card" role="group" aria-labelledby="cards-heading">
        <h3 id="cards-heading">Cards</h3>
        ${this.cards && cards.length === 0 ? html`<p>No card on file.</p>` : ''}
        <ul class="cards" aria-label="Saved cards">
          ${cards.map(
            (card) => html`<li aria-label=${cardLabel(card)}>
              <span>${cardLabel(card)}</span>
              ${card.isDefault
                ? html`<span class="hint">Default: charges use this card</span>`
                : html`<button type="button" class="secondary" ?disabled=${off} @click=${() => this.act(card, 'PUT')}>Make default</button>`}
              <button type="button" class="secondary" ?disabled=${off} @click=${() => this.act(card, 'DELETE')}>Remove</button>
            </li>`,
          )}
        </ul>
        <button type="button" ?disabled=${off} @click=${this.add}>Add card</button>
        ${noticeView(this.message)}
      </div>
    `;
  }
}

customElements.define('cards-section', CardsSection);
