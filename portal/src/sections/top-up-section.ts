// "Top Up Now": buy credits at once; a payment that needs 3-D Secure (this one, or a recharge)
// opens the bank's challenge.
import { html } from 'lit';
import { topUpAmountCents } from '../../../domain/pricing';
import { api, ApiFailure, orgPath } from '../api';
import { cardLabel } from '../../../domain/cards';
import { credits, money } from '../format';
import { LightElement } from '../light';
import { changed, OWNER_ONLY, type BillingSummary, type PriceBook } from '../types';
import { AUTHENTICATED, type AuthenticationOutcome, type ThreeDSecureDialog } from './three-d-secure-dialog';
import './three-d-secure-dialog';
import { noticeView, type Notice } from '../notice';


/** Works without a secure context too (crypto.randomUUID needs one). */
function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class TopUpSection extends LightElement {
  static override properties = {
    org: { attribute: false },
    billing: { attribute: false },
    priceBook: { attribute: false },
    owner: { attribute: false },
    stripeKey: { attribute: false },
    amount: { state: true },
    message: { state: true },
    dialogMessage: { state: true },
    busy: { state: true },
  };
  declare org: string;
  declare billing: BillingSummary;
  declare priceBook: PriceBook;
  declare owner: boolean;
  declare stripeKey: string | null;
  declare amount: number;
  declare message: Notice | undefined;
  declare dialogMessage: Notice | undefined;
  declare busy: boolean;
  /** The attempt in progress: a retry after a lost answer reuses its key, so it is charged once. */
  private attempt: { key: string; credits: number } | undefined;
  /** Authenticated: success is told once the credits are in (the pending payment is gone). */
  private awaitingCredits = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener(AUTHENTICATED, (e) => {
      const outcome = (e as CustomEvent<AuthenticationOutcome>).detail;
      if (outcome.completed) {
        this.awaitingCredits = true;
        this.message = { kind: 'status', text: 'Payment authenticated. Your credits arrive in a moment.' };
      } else {
        this.message = { kind: 'alert', text: `Authentication failed. The payment was not completed.${outcome.reason ? ` ${outcome.reason}` : ''}` };
      }
      changed(this);
    });
  }

  override willUpdate(changes: Map<string, unknown>): void {
    if (this.amount === undefined && this.priceBook) this.amount = this.priceBook.minTopUpCredits;
    if (changes.has('billing') && this.awaitingCredits && this.billing.pendingPayment === null) {
      this.awaitingCredits = false;
      this.message = { kind: 'status', text: 'Credits topped up successfully.' };
    }
  }

  private get dialog(): HTMLDialogElement {
    return this.querySelector<HTMLDialogElement>('#top-up-dialog')!;
  }

  private get challenge(): ThreeDSecureDialog {
    return this.querySelector<ThreeDSecureDialog>('three-d-secure-dialog')!;
  }

  private openDialog(): void {
    this.dialogMessage = undefined;
    this.dialog.showModal();
  }

  private async pay(event: Event): Promise<void> {
    event.preventDefault();
    if (!this.attempt || this.attempt.credits !== this.amount) this.attempt = { key: newIdempotencyKey(), credits: this.amount };
    this.busy = true;
    try {
      const { status, body } = await api('POST', orgPath(this.org, '/top-ups'), { credits: this.amount }, { 'Idempotency-Key': this.attempt.key });
      this.attempt = undefined;
      this.dialog.close();
      if (status === 201) this.message = { kind: 'status', text: body.message };
      else if (body.topUp.clientSecret) this.challenge.open(body.topUp.clientSecret, body.topUp.amountCents);
      changed(this);
    } catch (err) {
      const failure = err as ApiFailure;
      // No answer, or the service could not answer: the same attempt may be retried with its key.
      const retryable = failure.status === 0 || failure.status >= 500;
      if (!retryable) this.attempt = undefined;
      this.dialogMessage = { kind: 'alert', text: retryable ? `${failure.message} Continue to try again.` : failure.message };
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const off = !this.owner;
    const pending = this.billing.pendingPayment;
    const waiting = pending?.status === 'requires_action' && pending.clientSecret;
    const price = this.priceBook.creditPricePer1000Cents;
    return html`
      <section aria-labelledby="top-up-heading">
        <h2 id="top-up-heading">Top Up Now</h2>
        ${off ? html`<p class="note">${OWNER_ONLY}</p>` : ''}
        <p>Buy credits now, charged to the card on file. Minimum ${credits(this.priceBook.minTopUpCredits)} credits.</p>
        <button type="button" ?disabled=${off} @click=${this.openDialog}>Top up credits</button>
        ${waiting
          ? html`<div class="banner" role="alert">
              <p>A payment of ${credits(pending.credits)} credits is waiting for authentication.</p>
              <button type="button" ?disabled=${off} @click=${() => this.challenge.open(pending.clientSecret!, topUpAmountCents(pending.credits, price))}>Authenticate payment</button>
            </div>`
          : ''}
        ${noticeView(this.message)}
        <dialog id="top-up-dialog" aria-labelledby="top-up-dialog-heading">
          <form @submit=${this.pay}>
            <h2 id="top-up-dialog-heading">Top up credits</h2>
            <p><label for="top-up-credits">Credits</label><input id="top-up-credits" type="number" min=${this.priceBook.minTopUpCredits} step="1" required .value=${String(this.amount)} @input=${(e: Event) => (this.amount = Number((e.target as HTMLInputElement).value))} /></p>
            <p class="hint">Minimum ${credits(this.priceBook.minTopUpCredits)} credits · ${money(price)} per 1,000 credits</p>
            <p>Price: ${money(topUpAmountCents(Math.max(0, this.amount || 0), price))}</p>
            <p>${this.billing.paymentMethod ? `Charged to ${cardLabel(this.billing.paymentMethod)}.` : 'No card on file: add one under Auto-Recharge first.'}</p>
            ${this.dialogMessage ? html`<p role="alert" class="alert">${this.dialogMessage.text}</p>` : ''}
            <div class="actions">
              <button type="submit" ?disabled=${this.busy}>Continue to payment</button>
              <button type="button" class="secondary" @click=${() => this.dialog.close()}>Cancel</button>
            </div>
          </form>
        </dialog>
        <three-d-secure-dialog .stripeKey=${this.stripeKey}></three-d-secure-dialog>
      </section>
    `;
  }
}

customElements.define('top-up-section', TopUpSection);
