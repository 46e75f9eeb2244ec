// The sandbox checkout page: what a hosted checkout looks like, as static HTML (no script, so the
// portal's CSP holds). It never shows a number typed: a refused form comes back empty.
import { SANDBOX_CARDS } from '../payments/sandboxCards';
import { escapeHtml as escape } from './html';


const spaced = (digits: string) => digits.replace(/(\d{4})(?=\d)/g, '$1 ');

const TEST_CARD_NOTES: Record<string, string> = {
  pm_card_visa: 'Visa, succeeds',
  pm_card_mastercard: 'Mastercard, succeeds',
  pm_card_chargeDeclined: 'declined when saved',
  pm_card_authenticationRequired: '3-D Secure at every charge',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient funds at charge',
  pm_card_chargeCustomerFail: 'saves, then every charge declines',
};

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><link rel="stylesheet" href="/sandbox/checkout.css"></head>
<body><main aria-labelledby="checkout-heading">
<p class="badge">Sandbox: test cards only</p>
${body}
</main></body></html>`;
}

export function checkoutPage(sessionId: string, orgName: string, returnUrl: string, error?: string): string {
  const cards = SANDBOX_CARDS.map((c) => `<li><code>${spaced(c.number)}</code> ${escape(TEST_CARD_NOTES[c.paymentMethodId] ?? '')}</li>`).join('');
  return layout(
    'Save a card',
    `<h1 id="checkout-heading">Save a card</h1>
<p>For ${escape(orgName)}. It is charged for credits: top-ups, auto-recharge and allocations.</p>
<form method="post" action="/sandbox/checkout/${escape(sessionId)}" autocomplete="off">
<p><label for="number">Card number</label><input id="number" name="number" inputmode="numeric" autocomplete="off" placeholder="1234 1234 1234 1234" required></p>
<div class="row">
<p><label for="expiry">Expiry</label><input id="expiry" name="expiry" autocomplete="off" placeholder="MM / YY" required></p>
<p><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" autocomplete="off" placeholder="123" required></p>
</div>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<p class="actions"><button type="submit">Save card</button> <a href="${escape(returnUrl)}">Cancel</a></p>
</form>
<details><summary>Test card numbers</summary><ul>${cards}</ul><p>Any future expiry and any 3 digits for the CVC.</p></details>`,
  );
}

export function closedPage(message: string, returnUrl?: string): string {
  return layout('Checkout closed', `<h1 id="checkout-heading">Checkout closed</h1><p role="alert">${escape(message)}</p>${returnUrl ? `<p><a href="${escape(returnUrl)}">Back</a></p>` : ''}`);
}

export const CHECKOUT_CSS = `body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f8fa;color:#1a1f36}
main{max-width:26rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.08)}
.badge{display:inline-block;margin:0 0 1rem;padding:.1rem .5rem;border-radius:4px;background:#fff4d6;color:#6b4f00;font-size:.8rem}
h1{margin:0 0 .5rem;font-size:1.4rem}label{display:block;font-weight:600;font-size:.9rem}
input{box-sizing:border-box;width:100%;padding:.55rem;border:1px solid #c9ced6;border-radius:6px;font:inherit}
.row{display:flex;gap:1rem}.row p{flex:1}.error{color:#b00020}
button{padding:.6rem 1.2rem;border:0;border-radius:6px;background:#635bff;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.actions{display:flex;align-items:center;gap:1rem}details{margin-top:1.5rem;font-size:.9rem}code{font-size:.85rem}`;
