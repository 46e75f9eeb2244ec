// In-process provider honouring Stripe's test payment methods; intents live in PostgreSQL so a
// retried charge after a crash finds the intent it already made, as Stripe's idempotency keys do.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { cancelIntent, confirmIntent, findIntent, insertIntent, type StoredIntent } from '../store/sandboxPaymentIntents';
import { closeDispute, insertRefund, listRefunds, openDispute, type StoredDispute, type StoredRefund } from '../store/sandboxRefunds';
import { RefundRefused, type CardDetails, type ChargeRequest, type PaymentIntentState, type PaymentProvider, type RefundRequest, type RefundResult } from './provider';
import { chargeOutcome, sandboxCard } from './sandboxCards';

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

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;

  constructor(
    private readonly db: Pool,
    private readonly chargeDelayMs = 0,
  ) {}

  async charge(request: ChargeRequest): Promise<PaymentIntentState> {
    const id = `pi_sandbox_${hash(request.idempotencyKey, 24)}`;
    const outcome = chargeOutcome(request.paymentMethodId);
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

  async attachPaymentMethod(): Promise<void> {
    // Every pm_ id is a card here; the charge decides what it does.
  }

  async paymentMethodDetails(paymentMethodId: string): Promise<CardDetails | null> {
    return sandboxCard(paymentMethodId)?.card ?? null;
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
