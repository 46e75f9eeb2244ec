// In-process provider honouring Stripe's test payment methods; intents live in PostgreSQL so a
// retried charge after a crash finds the intent it already made, as Stripe's idempotency keys do.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { completeSession, detachSavedMethod, findSavedMethod, findSession, insertSession, listSavedMethods, type SandboxSession } from '../store/sandboxCheckout';
import { cancelIntent, confirmIntent, findIntent, insertIntent, type StoredIntent } from '../store/sandboxPaymentIntents';
import { closeDispute, insertRefund, listRefunds, openDispute, type StoredDispute, type StoredRefund } from '../store/sandboxRefunds';
import {
  PaymentMethodRejected,
  RefundRefused,
  type CardDetails,
  type ChargeRequest,
  type PaymentIntentState,
  type PaymentMethodSession,
  type PaymentProvider,
  type ProviderCard,
  type RefundRequest,
  type RefundResult,
  type SavedPaymentMethod,
} from './provider';
import { chargeOutcome, sandboxCard, type SandboxCard } from './sandboxCards';

export interface SandboxIntent {
  id: string;
  orgId: string;
  paymentId: string;
  amountCents: number;
  status: string;
}

function toState(intent: StoredIntent): PaymentIntentState {
  switch (intent.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentIntentId: intent.id };
    case 'requires_action':
      return { status: 'requires_action', paymentIntentId: intent.id, clientSecret: intent.clientSecret };
    case 'canceled':
      return { status: 'failed', paymentIntentId: intent.id, declineCode: 'canceled', message: 'The payment was canceled.' };
    default:
      return { status: 'failed', paymentIntentId: intent.id, declineCode: intent.declineCode ?? 'generic_decline', message: intent.message ?? '' };
  }
}

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** How long a checkout session stays usable (Stripe's shortest Checkout expiry is 30 minutes). */
export const SANDBOX_CHECKOUT_TTL_MS = 60 * 60 * 1000;
const SESSION_PREFIX = 'cs_sandbox_';
const SETUP_INTENT_PREFIX = 'seti_sandbox_';
/** Payment methods a sandbox checkout saved: one per save, as Stripe makes one per card collected. */
const SAVED_METHOD_PREFIX = 'pm_sandbox_';

/** The setup intent of a sandbox checkout session shares its random part. */
export const setupIntentOf = (sessionId: string) => SETUP_INTENT_PREFIX + sessionId.slice(SESSION_PREFIX.length);

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;

  constructor(
    private readonly db: Pool,
    private readonly chargeDelayMs = 0,
  ) {}

  async charge(request: ChargeRequest): Promise<PaymentIntentState> {
    const id = `pi_sandbox_${hash(request.idempotencyKey, 24)}`;
    const outcome = chargeOutcome(await this.testPaymentMethod(request.paymentMethodId));
    const intent = await insertIntent(this.db, {
      id,
      idempotencyKey: request.idempotencyKey,
      orgId: request.orgId,
      paymentId: request.paymentId,
      amountCents: request.amountCents,
      paymentMethodId: request.paymentMethodId,
      status: outcome.status,
      clientSecret: `${id}_secret_${hash(`secret:${id}`, 16)}`,
      declineCode: outcome.declineCode ?? null,
      message: outcome.message ?? null,
    });
    if (this.chargeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chargeDelayMs));
    return toState(intent);
  }

  async retrieve(paymentIntentId: string): Promise<PaymentIntentState> {
    const intent = await findIntent(this.db, paymentIntentId);
    if (!intent) throw new Error(`No such payment intent: ${paymentIntentId}`);
    return toState(intent);
  }

  async cancel(paymentIntentId: string): Promise<PaymentIntentState> {
    await cancelIntent(this.db, paymentIntentId);
    return this.retrieve(paymentIntentId);
  }

  /** Every pm_ id is a card here (the charge decides what it does), except a checkout's card saved for another organization. */
  async attachPaymentMethod(orgId: string, paymentMethodId: string): Promise<void> {
    if (!paymentMethodId.startsWith(SAVED_METHOD_PREFIX)) return;
    const saved = await findSavedMethod(this.db, paymentMethodId);
    if (!saved || saved.orgId !== orgId) throw new PaymentMethodRejected('resource_missing', `No such PaymentMethod: '${paymentMethodId}'`);
  }

  async paymentMethodDetails(paymentMethodId: string): Promise<CardDetails | null> {
    if (!paymentMethodId.startsWith(SAVED_METHOD_PREFIX)) return sandboxCard(paymentMethodId)?.card ?? null;
    const saved = await findSavedMethod(this.db, paymentMethodId);
    const card = saved && sandboxCard(saved.testPaymentMethodId)?.card;
    return saved && card ? { ...card, expMonth: saved.expMonth, expYear: saved.expYear } : null;
  }

  /** The test payment method whose outcomes a payment method has: itself, or the test card a checkout saved. */
  private async testPaymentMethod(paymentMethodId: string): Promise<string> {
    if (!paymentMethodId.startsWith(SAVED_METHOD_PREFIX)) return paymentMethodId;
    return (await findSavedMethod(this.db, paymentMethodId))?.testPaymentMethodId ?? paymentMethodId;
  }

  /** The checkout page this service serves (api/routes/sandboxCheckout.ts). */
  async createPaymentMethodSession(orgId: string, returnUrl: string): Promise<PaymentMethodSession> {
    const id = SESSION_PREFIX + randomBytes(24).toString('hex');
    const expiresAt = new Date(Date.now() + SANDBOX_CHECKOUT_TTL_MS);
    await insertSession(this.db, { id, orgId, returnUrl, expiresAt });
    return { url: `/sandbox/checkout/${id}`, expiresAt: expiresAt.toISOString() };
  }

  async savedPaymentMethod(setupIntentId: string): Promise<SavedPaymentMethod | null> {
    if (!setupIntentId.startsWith(SETUP_INTENT_PREFIX)) return null;
    const session = await findSession(this.db, SESSION_PREFIX + setupIntentId.slice(SETUP_INTENT_PREFIX.length));
    return session?.paymentMethodId ? { orgId: session.orgId, paymentMethodId: session.paymentMethodId } : null;
  }

  async listPaymentMethods(orgId: string): Promise<ProviderCard[]> {
    const saved = await listSavedMethods(this.db, orgId);
    return saved.flatMap((m) => {
      const card = sandboxCard(m.testPaymentMethodId)?.card;
      return card ? [{ id: m.id, ...card, expMonth: m.expMonth, expYear: m.expYear }] : [];
    });
  }

  async detachPaymentMethod(paymentMethodId: string): Promise<void> {
    // The shared test payment methods belong to no one customer: only a checkout's own card detaches.
    if (paymentMethodId.startsWith(SAVED_METHOD_PREFIX)) await detachSavedMethod(this.db, paymentMethodId);
  }

  async setDefaultPaymentMethod(): Promise<void> {
    // The sandbox has no customer object: the workflow's payment method is the default.
  }

  /** A checkout session by id (the page's own lookup). */
  findCheckoutSession(sessionId: string): Promise<SandboxSession | undefined> {
    return sessionId.startsWith(SESSION_PREFIX) ? findSession(this.db, sessionId) : Promise.resolve(undefined);
  }

  /** Saves the test card for an open session, once; undefined when the session expired or was used. */
  async completeCheckout(sessionId: string, card: SandboxCard, expMonth: number, expYear: number): Promise<{ session: SandboxSession; paymentMethodId: string } | undefined> {
    const paymentMethodId = SAVED_METHOD_PREFIX + randomBytes(12).toString('hex');
    const session = await completeSession(this.db, sessionId, { id: paymentMethodId, testPaymentMethodId: card.paymentMethodId, expMonth, expYear });
    return session && { session, paymentMethodId };
  }

  /** The organization of an intent, when the client secret is its own (compared in constant time). */
  async intentOrg(paymentIntentId: string, clientSecret: string): Promise<string | undefined> {
    const intent = await findIntent(this.db, paymentIntentId);
    if (!intent) return undefined;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(intent.clientSecret), digest(clientSecret)) ? intent.orgId : undefined;
  }

  /**
   * The customer completing 3-D Secure. Answers the intent as it is afterwards, and whether this
   * call confirmed it: only an intent waiting for authentication changes, once.
   */
  async completeAuthentication(paymentIntentId: string): Promise<{ intent: SandboxIntent; confirmed: boolean } | undefined> {
    const confirmed = await confirmIntent(this.db, paymentIntentId);
    const stored = await findIntent(this.db, paymentIntentId);
    if (!stored) return undefined;
    const intent = { id: stored.id, orgId: stored.orgId, paymentId: stored.paymentId, amountCents: stored.amountCents, status: stored.status };
    return { intent, confirmed };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const refund = await this.createRefund(request.paymentIntentId, request.amountCents, request.idempotencyKey, request.metadata);
    if ('refused' in refund) throw new RefundRefused('refund_refused', refund.refused);
    // As for charges: latency after the provider recorded it (to exercise a crash between the refund and its ledger entry).
    if (this.chargeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chargeDelayMs));
    return { refundId: refund.id, amountCents: refund.amountCents, status: 'succeeded' };
  }

  /** The sandbox keeps no receipt of its own: ours is the only one. */
  async receiptUrl(): Promise<string | null> {
    return null;
  }

  /** A refund as Stripe's Refunds API makes it (ours, or one made in the provider's dashboard: amount null is the rest). */
  createRefund(paymentIntentId: string, amountCents: number | null, idempotencyKey: string, metadata: Record<string, string> = {}): Promise<StoredRefund | { refused: string }> {
    return insertRefund(this.db, { id: `re_sandbox_${hash(`refund:${idempotencyKey}`, 24)}`, idempotencyKey, paymentIntentId, amountCents, metadata });
  }

  refunds(paymentIntentId: string): Promise<StoredRefund[]> {
    return listRefunds(this.db, paymentIntentId);
  }

  openDispute(paymentIntentId: string): Promise<StoredDispute | undefined> {
    return openDispute(this.db, `dp_sandbox_${hash(`dispute:${paymentIntentId}`, 24)}`, paymentIntentId);
  }

  closeDispute(paymentIntentId: string, status: 'won' | 'lost'): Promise<StoredDispute | undefined> {
    return closeDispute(this.db, paymentIntentId, status);
  }
}
