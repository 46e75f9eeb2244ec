// Stripe provider: off-session PaymentIntents on the organization's saved card, one Stripe
// customer per organization, the payment id as idempotency key. Card errors are outcomes;
// connection, rate-limit and 5xx errors are thrown for Temporal to retry with the same key.
import type { Pool } from 'pg';
import Stripe from 'stripe';
import { findCustomer, orgOfCustomer, saveCustomer } from '../store/stripeCustomers';
import {
  PaymentMethodRejected,
  RefundRefused,
  type RefundRequest,
  type RefundResult,
  type CardDetails,
  type ChargeRequest,
  type PaymentIntentState,
  type PaymentMethodSession,
  type PaymentProvider,
  type ProviderCard,
  type SavedPaymentMethod,
} from './provider';

export function createStripeClient(secretKey: string, apiBase?: string, requestTimeoutMs = 20_000): Stripe {
  const config: Stripe.StripeConfig = { maxNetworkRetries: 0, timeout: requestTimeoutMs }; // Temporal retries, durably
  if (apiBase) {
    const url = new URL(apiBase);
    Object.assign(config, { host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(':', '') as 'http' | 'https' });
  }
  return new Stripe(secretKey, config);
}

export function fromIntent(intent: Stripe.PaymentIntent): PaymentIntentState {
  const id = intent.id;
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentIntentId: id };
    case 'requires_action':
    case 'requires_confirmation':
      return { status: 'requires_action', paymentIntentId: id, clientSecret: intent.client_secret ?? '' };
    case 'requires_payment_method': {
      const error = intent.last_payment_error;
      // Off-session, a bank asking for 3-D Secure leaves the intent here until the customer authenticates.
      if (error?.code === 'authentication_required') return { status: 'requires_action', paymentIntentId: id, clientSecret: intent.client_secret ?? '' };
      return { status: 'failed', paymentIntentId: id, declineCode: error?.decline_code ?? error?.code ?? 'payment_failed', message: error?.message ?? 'The payment failed.' };
    }
    case 'canceled':
      return { status: 'failed', paymentIntentId: id, declineCode: 'canceled', message: 'The payment was canceled.' };
    default:
      return { status: 'processing', paymentIntentId: id };
  }
}

/** Card errors and requests Stripe refuses are outcomes; anything else is thrown to be retried. */
export function chargeOutcomeOf(err: unknown): PaymentIntentState {
  if (err instanceof Stripe.errors.StripeCardError) {
    const intent = err.payment_intent;
    if (err.code === 'authentication_required' && intent) {
      return { status: 'requires_action', paymentIntentId: intent.id, clientSecret: intent.client_secret ?? '' };
    }
    return { status: 'failed', paymentIntentId: intent?.id ?? null, declineCode: err.decline_code ?? err.code ?? 'card_declined', message: err.message };
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeIdempotencyError) {
    return { status: 'failed', paymentIntentId: null, declineCode: err.code ?? 'invalid_request', message: err.message };
  }
  throw err;
}

/**
 * Stripe keeps idempotency keys for 24 hours; a payment charged again later (a run that resumes
 * it after a day) would make a second intent, so past this age we look for the first one.
 */
const IDEMPOTENCY_KEY_TRUSTED_MS = 23 * 60 * 60 * 1000;

/** How long a Checkout Session for a card stays open (Stripe allows 30 minutes to 24 hours). */
const CHECKOUT_TTL_SECONDS = 60 * 60;

const cardOf = (card: Stripe.PaymentMethod.Card): CardDetails => ({ brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year });

/** A value quoted for Stripe's search query language (backslash escapes quotes). */
const searchString = (value: string) => `'${value.replace(/[\\']/g, '\\$&')}'`;

export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe' as const;

  constructor(
    private readonly stripe: Stripe,
    private readonly db: Pool,
  ) {}

  /** The organization's Stripe customer, created once (the idempotency key makes a race harmless). */
  async customerFor(orgId: string): Promise<string> {
    const existing = await findCustomer(this.db, orgId);
    if (existing) return existing;
    const customer = await this.stripe.customers.create({ metadata: { orgId } }, { idempotencyKey: `customer-${orgId}` });
    await saveCustomer(this.db, orgId, customer.id);
    return customer.id;
  }

  async attachPaymentMethod(orgId: string, paymentMethodId: string): Promise<void> {
    const customer = await this.customerFor(orgId);
    try {
      await this.stripe.paymentMethods.attach(paymentMethodId, { customer });
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError || err instanceof Stripe.errors.StripeInvalidRequestError) {
        throw new PaymentMethodRejected(err.code ?? 'invalid_payment_method', err.message);
      }
      throw err;
    }
  }

  async paymentMethodDetails(paymentMethodId: string): Promise<CardDetails | null> {
    try {
      const { card } = await this.stripe.paymentMethods.retrieve(paymentMethodId);
      return card ? cardOf(card) : null;
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return null;
      throw err;
    }
  }

  async charge(request: ChargeRequest): Promise<PaymentIntentState> {
    const customer = await this.customerFor(request.orgId);
    if (this.keyMayHaveExpired(request)) {
      const existing = await this.intentOfPayment(request.paymentId);
      if (existing) return fromIntent(existing);
    }
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: 'usd',
          customer,
          payment_method: request.paymentMethodId,
          off_session: true,
          confirm: true,
          description: request.description,
          metadata: { orgId: request.orgId, paymentId: request.paymentId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return fromIntent(intent);
    } catch (err) {
      return chargeOutcomeOf(err);
    }
  }

  /** Younger payments rely on the key alone: Stripe's search lags behind its writes. */
  private keyMayHaveExpired(request: ChargeRequest): boolean {
    const startedAt = request.startedAt === undefined ? NaN : Date.parse(request.startedAt);
    return Number.isNaN(startedAt) || Date.now() - startedAt > IDEMPOTENCY_KEY_TRUSTED_MS;
  }

  /** The intent an earlier charge made for this payment (its metadata carries our payment id). */
  private async intentOfPayment(paymentId: string): Promise<Stripe.PaymentIntent | undefined> {
    const found = await this.stripe.paymentIntents.search({ query: `metadata['paymentId']:${searchString(paymentId)}` });
    return found.data.find((intent) => intent.metadata?.paymentId === paymentId);
  }

  async retrieve(paymentIntentId: string): Promise<PaymentIntentState> {
    return fromIntent(await this.stripe.paymentIntents.retrieve(paymentIntentId));
  }

  async cancel(paymentIntentId: string): Promise<PaymentIntentState> {
    try {
      return fromIntent(await this.stripe.paymentIntents.cancel(paymentIntentId));
    } catch (err) {
      // Already succeeded or canceled: the intent as it is decides.
      if (err instanceof Stripe.errors.StripeInvalidRequestError) return this.retrieve(paymentIntentId);
      throw err;
    }
  }

  /** Stripe's Refunds API; a refund Stripe refuses (already refunded, more than is left, disputed) is an outcome. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: request.paymentIntentId, amount: request.amountCents, metadata: request.metadata },
        { idempotencyKey: request.idempotencyKey },
      );
      return { refundId: refund.id, amountCents: refund.amount, status: refund.status ?? 'pending' };
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError) throw new RefundRefused(err.code ?? 'refund_refused', err.message);
      throw err;
    }
  }

  /** Checkout in setup mode for the organization's customer: Stripe collects the card, and its
   * setup intent carries the organization so its events find their way back. */
  async createPaymentMethodSession(orgId: string, returnUrl: string): Promise<PaymentMethodSession> {
    const customer = await this.customerFor(orgId);
    const session = await this.stripe.checkout.sessions.create({
      mode: 'setup',
      customer,
      currency: 'usd',
      success_url: returnUrl,
      cancel_url: returnUrl,
      expires_at: Math.floor(Date.now() / 1000) + CHECKOUT_TTL_SECONDS,
      client_reference_id: orgId,
      metadata: { orgId },
      setup_intent_data: { metadata: { orgId } },
    });
    if (!session.url) throw new Error(`Stripe answered Checkout Session ${session.id} without a url`);
    return { url: session.url, expiresAt: new Date(session.expires_at * 1000).toISOString() };
  }

  /** The setup intent as Stripe has it: a card counts once it succeeded, for the customer's organization. */
  async savedPaymentMethod(setupIntentId: string): Promise<SavedPaymentMethod | null> {
    const intent = await this.stripe.setupIntents.retrieve(setupIntentId);
    const paymentMethodId = typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method?.id;
    const customerId = typeof intent.customer === 'string' ? intent.customer : intent.customer?.id;
    if (intent.status !== 'succeeded' || !paymentMethodId || !customerId) return null;
    const orgId = await orgOfCustomer(this.db, customerId);
    return orgId ? { orgId, paymentMethodId } : null;
  }

  async listPaymentMethods(orgId: string): Promise<ProviderCard[]> {
    const customer = await this.customerFor(orgId);
    const { data } = await this.stripe.paymentMethods.list({ customer, type: 'card', limit: 100 });
    return data.flatMap((method) => (method.card ? [{ id: method.id, ...cardOf(method.card) }] : []));
  }

  async detachPaymentMethod(paymentMethodId: string): Promise<void> {
    try {
      await this.stripe.paymentMethods.detach(paymentMethodId);
    } catch (err) {
      // Gone already, or attached to no customer: detached is what was asked.
      if (err instanceof Stripe.errors.StripeInvalidRequestError) return;
      throw err;
    }
  }

  async receiptUrl(paymentIntentId: string): Promise<string | null> {
    const intent = await this.stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });
    const charge = intent.latest_charge;
    return charge && typeof charge === 'object' ? (charge.receipt_url ?? null) : null;
  }

  async setDefaultPaymentMethod(orgId: string, paymentMethodId: string | null): Promise<void> {
    const customer = await this.customerFor(orgId);
    await this.stripe.customers.update(customer, { invoice_settings: { default_payment_method: paymentMethodId ?? '' } });
  }
}
