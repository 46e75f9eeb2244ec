// 3-D Secure. With Stripe it is Stripe.js confirmCardPayment. In the sandbox the page plays the
// bank's challenge: completing confirms the payment intent with its client secret, as Stripe.js
// would. Either way the credits then arrive through the provider webhook like any payment's.
import { html } from 'lit';
import { api, ApiFailure } from '../api';
import { money } from '../format';
import { LightElement } from '../light';
import { confirmWithStripe } from '../stripe';

export const AUTHENTICATED = 'portal-authenticated';

export interface AuthenticationOutcome {
  completed: boolean;
  /** Why it did not complete, when known. */
  reason?: string;
}

export class ThreeDSecureDialog extends LightElement {
  static override properties = { stripeKey: { attribute: false }, amountCents: { state: true }, failure: { state: true } };
  declare stripeKey: string | null;
  declare amountCents: number;
  declare failure: string | undefined;
  private clientSecret = '';

  open(clientSecret: string, amountCents: number): void {
    if (this.stripeKey) {
      void confirmWithStripe(this.stripeKey, clientSecret).then((reason) => this.tell({ completed: reason === undefined, reason }));
      return;
    }
    this.clientSecret = clientSecret;
    this.amountCents = amountCents;
    this.failure = undefined;
    void this.updateComplete.then(() => this.dialog.showModal());
  }

  private get dialog(): HTMLDialogElement {
    return this.querySelector('dialog')!;
  }

  private tell(outcome: AuthenticationOutcome): void {
    this.dispatchEvent(new CustomEvent(AUTHENTICATED, { bubbles: true, detail: outcome }));
  }

  private finish(completed: boolean): void {
    this.dialog.close();
    this.tell({ completed });
  }

  private async complete(): Promise<void> {
    // A Stripe client secret is "<intent id>_secret_<random>"; Stripe.js reads the id the same way.
    const intentId = this.clientSecret.split('_secret_')[0];
    try {
      await api('POST', `/v1/sandbox/payment-intents/${encodeURIComponent(intentId)}/authenticate`, { clientSecret: this.clientSecret });
      this.finish(true);
    } catch (err) {
      this.failure = err instanceof ApiFailure ? err.message : String(err);
    }
  }

  override render() {
    return html`
      <dialog aria-labelledby="tds-heading">
        <h2 id="tds-heading">Authenticate payment</h2>
        <p>Your bank asks you to confirm this payment${this.amountCents ? ` of ${money(this.amountCents)}` : ''}.</p>
        ${this.failure ? html`<p role="alert" class="alert">${this.failure}</p>` : ''}
        <div class="actions">
          <button type="button" @click=${this.complete}>Complete authentication</button>
          <button type="button" class="secondary" @click=${() => this.finish(false)}>Fail authentication</button>
        </div>
      </dialog>
    `;
  }
}

customElements.define('three-d-secure-dialog', ThreeDSecureDialog);
