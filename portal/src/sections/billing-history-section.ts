// "Billing history": every charge, newest first, with its status and amount, a refund or dispute
// shown as such, and a link to each successful payment's receipt.
import { html } from 'lit';
import { credits, date, money } from '../format';
import { LightElement } from '../light';
import type { Payment } from '../types';

const KIND: Record<Payment['kind'], string> = { auto_recharge: 'Auto-recharge', top_up: 'Top-up', allocation: 'Allocation' };

const STATUS: Record<Payment['status'], string> = {
  pending: 'Pending',
  requires_action: 'Waiting for authentication',
  succeeded: 'Paid',
  failed: 'Failed',
  refunded: 'Refunded',
  partially_refunded: 'Partially refunded',
  disputed: 'Disputed',
};

function status(p: Payment): string {
  if (p.status === 'partially_refunded') return `Partially refunded (${money(p.refundedCents)})`;
  if (p.status === 'failed' && p.failureMessage) return `Failed: ${p.failureMessage}`;
  return STATUS[p.status];
}

export class BillingHistorySection extends LightElement {
  static override properties = { payments: { attribute: false } };
  declare payments: Payment[];

  override render() {
    const payments = this.payments ?? [];
    return html`
      <section aria-labelledby="billing-history-heading">
        <h2 id="billing-history-heading">Billing history</h2>
        ${payments.length === 0
          ? html`<p>No payments yet.</p>`
          : html`<table>
              <thead>
                <tr><th scope="col">Date</th><th scope="col">Payment</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Receipt</th></tr>
              </thead>
              <tbody>
                ${payments.map(
                  (p) => html`<tr>
                    <td>${date(p.createdAt)}</td>
                    <td>${KIND[p.kind]}: ${credits(p.credits)} credits${p.card ? ` · ${p.card.brand} •••• ${p.card.last4}` : ''}</td>
                    <td>${money(p.amountCents)}</td>
                    <td>${status(p)}</td>
                    <td>${p.receiptUrl ? html`<a href=${p.receiptUrl} target="_blank" rel="noopener">Receipt</a>` : ''}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      </section>
    `;
  }
}

customElements.define('billing-history-section', BillingHistorySection);
