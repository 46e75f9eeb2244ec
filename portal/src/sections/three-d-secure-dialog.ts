// The bank's 3-D Secure challenge as the sandbox plays it: completing confirms the payment intent
// with its client secret, as Stripe.js confirmCardPayment would; the credits then arrive through
// the provider webhook like any payment's.
import { html } from 'lit';
import { api, ApiFailure } from '../api';
import { money } from '../format';
import { LightElement } from '../light';

export const AUTHENTICATED = 'portal-authenticated';

export class ThreeDSecureDialog extends LightElement {
  static override properties = { amountCents: { state: true }, failure: { state: true } };
  declare amountCents: number;
  declare failure: string | undefined;
  private clientSecret = '';

  open(clientSecret: string, amountCents: number): void {
    this.clientSecret = clientSecret;
    this.amountCents = amountCents;
    this.failure = undefined;
    void this.updateComplete.then(() => this.dialog.showModal());
  }

  private get dialog(): HTMLDialogElement {
    return this.querySelector('dialog')!;
  }

  private finish(outcome: 'completed' | 'failed'): void {
    this.dialog.close();
    this.dispatchEvent(new CustomEvent(AUTHENTICATED, { bubbles: true, detail: outcome }));
  }

  private async complete(): Promise<void> {
    // A Stripe client secret is "<intent id>_secret_<random>"; Stripe.js reads the id the same way.
    const intentId = this.clientSecret.split('_secret_')[0];
    try {
      await api('POST', `/v1/sandbox/payment-intents/${encodeURIComponent(intentId)}/authenticate`, { clientSecret: this.clientSecret });
      this.finish('completed');
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
          <button type="button" class="secondary" @click=${() => this.finish('failed')}>Fail authentication</button>
        </div>
      </dialog>
    `;
  }
}

customElements.define('three-d-secure-dialog', ThreeDSecureDialog);
