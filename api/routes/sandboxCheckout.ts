// The sandbox's hosted checkout (/sandbox/checkout/:id): the page a payment-method session's url
// opens. The form posts here; the number typed is looked up in the table of test cards in memory
// and only the test payment method it maps to is kept (never the number: not stored, not logged,
// not echoed). The card counts once the signed events this sends come back through the webhook
// route, as Stripe's do; the redirect to returnUrl only takes the customer back.
import express, { Router, type Response } from 'express';
import { expiryInFuture } from '../../domain/cards';
import { setupIntentOf, SandboxPaymentProvider } from '../../payments/sandbox';
import { sandboxCardForNumber } from '../../payments/sandboxCards';
import type { ApiContext } from '../context';
import { portalCsp } from '../portalHeaders';
import { deliverSandboxEvent } from '../sandboxEvents';
import { checkoutPage, CHECKOUT_CSS, closedPage } from '../sandboxCheckoutPage';

const CLOSED = 'This checkout session has expired or was already used. Start again from the billing page.';
const UNKNOWN_NUMBER = "This sandbox takes Stripe's test card numbers only (such as 4242 4242 4242 4242), never a real card.";
const DECLINED = 'Your card was declined.';

/** "MM / YY" or "MM/YYYY" → month and four-digit year; undefined when malformed. */
function parseExpiry(typed: string): { month: number; year: number } | undefined {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(typed);
  if (!match) return undefined;
  const month = Number(match[1]);
  const year = match[2].length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  return month >= 1 && month <= 12 ? { month, year } : undefined;
}

const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export function sandboxCheckoutRoutes({ payments, orgs, settings, selfUrl, logger }: ApiContext): Router {
  const router = Router();
  if (!(payments instanceof SandboxPaymentProvider)) return router;
  const sandbox = payments;

  /** The portal's policy (no script at all here), with the return URL's origin as a form target:
   * the form's redirect goes there. Never framed: a checkout in someone's frame invites clickjacking. */
  function send(res: Response, status: number, html: string, returnUrl?: string): void {
    const origin = returnUrl ? new URL(returnUrl).origin : undefined;
    res.setHeader('Content-Security-Policy', portalCsp("'none'", false, origin ? [origin] : []));
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.status(status).type('html').send(html);
  }

  router.get('/sandbox/checkout.css', (_req, res) => {
    res.type('css').send(CHECKOUT_CSS);
  });

  router.get('/sandbox/checkout/:id', async (req, res) => {
    const session = await sandbox.findCheckoutSession(req.params.id);
    if (!session) return send(res, 404, closedPage('No such checkout session.'));
    if (session.completedAt || session.expiresAt.getTime() <= Date.now()) return send(res, 410, closedPage(CLOSED, session.returnUrl), session.returnUrl);
    const org = await orgs.get(session.orgId);
    send(res, 200, checkoutPage(session.id, org?.name ?? session.orgId, session.returnUrl), session.returnUrl);
  });

  router.post('/sandbox/checkout/:id', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const session = await sandbox.findCheckoutSession(req.params.id);
    if (!session) return send(res, 404, closedPage('No such checkout session.'));
    const { returnUrl } = session;
    const open = !session.completedAt && session.expiresAt.getTime() > Date.now();
    if (!open) return send(res, 410, closedPage(CLOSED, returnUrl), returnUrl);
    const org = await orgs.get(session.orgId);
    const refuse = (status: number, message: string) => send(res, status, checkoutPage(session.id, org?.name ?? session.orgId, returnUrl, message), returnUrl);
    // The number is looked up here and goes no further: only the test card it names is kept.
    const card = sandboxCardForNumber(field(req.body, 'number'));
    if (!card) return refuse(422, UNKNOWN_NUMBER);
    if (card.declinedAtSave) return refuse(402, DECLINED);
    const expiry = parseExpiry(field(req.body, 'expiry'));
    if (!expiry) return refuse(422, "Your card's expiry is incomplete: use MM / YY.");
    if (!expiryInFuture(expiry.month, expiry.year, new Date())) return refuse(422, "Your card's expiry is in the past.");
    if (!/^\d{3,4}$/.test(field(req.body, 'cvc').trim())) return refuse(422, "Your card's security code is incomplete.");
    const saved = await sandbox.completeCheckout(session.id, card, expiry.month, expiry.year);
    if (!saved) return send(res, 410, closedPage(CLOSED, returnUrl), returnUrl);
    // What Stripe sends for a setup-mode Checkout: the setup intent succeeded, the session completed.
    const target = { selfUrl, webhookSecret: settings.stripe.webhookSecret };
    const setupIntent = setupIntentOf(session.id);
    const metadata = { orgId: session.orgId };
    const events: Array<[string, Record<string, unknown>]> = [
      ['setup_intent.succeeded', { id: setupIntent, object: 'setup_intent', status: 'succeeded', usage: 'off_session', customer: null, payment_method: saved.paymentMethodId, metadata }],
      ['checkout.session.completed', { id: session.id, object: 'checkout.session', mode: 'setup', status: 'complete', customer: null, client_reference_id: session.orgId, setup_intent: setupIntent, metadata }],
    ];
    for (const [type, object] of events) {
      const delivered = await deliverSandboxEvent(target, type, object).catch(() => false);
      if (!delivered) logger.warn({ orgId: session.orgId, type }, 'sandbox checkout event not acknowledged');
    }
    res.redirect(303, returnUrl);
  });

  return router;
}
