// In-process provider honouring Stripe's test payment methods; intents live in PostgreSQL so a
// retried charge after a crash finds the intent it already made, as Stripe's idempotency keys do.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { ChargeRequest, PaymentIntentState, PaymentProvider } from './provider';

interface TestCardOutcome {
  status: 'succeeded' | 'requires_action' | 'failed';
  declineCode?: string;
  message?: string;
}

const TEST_CARDS: Record<string, TestCardOutcome> = {
  pm_card_chargeDeclined: { status: 'failed', declineCode: 'generic_decline', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: {
    status: 'failed',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_authenticationRequired: { status: 'requires_action' },
};

export interface SandboxIntent {
  id: string;
  orgId: string;
  paymentId: string;
  amountCents: number;
  status: string;
}

interface IntentRow {
  id: string;
  org_id: string;
  payment_id: string;
  amount_cents: number;
  status: string;
  client_secret: string;
  decline_code: string | null;
  message: string | null;
}

const COLUMNS = 'id, org_id, payment_id, amount_cents, status, client_secret, decline_code, message';

function toState(row: IntentRow): PaymentIntentState {
  switch (row.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentIntentId: row.id };
    case 'requires_action':
      return { status: 'requires_action', paymentIntentId: row.id, clientSecret: row.client_secret };
    case 'canceled':
      return { status: 'failed', paymentIntentId: row.id, declineCode: 'canceled', message: 'The payment was canceled.' };
    default:
      return { status: 'failed', paymentIntentId: row.id, declineCode: row.decline_code ?? 'generic_decline', message: row.message ?? '' };
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
    const outcome = TEST_CARDS[request.paymentMethodId] ?? { status: 'succeeded' };
    const { rows } = await this.db.query<IntentRow>(
      `INSERT INTO sandbox_payment_intents
         (id, idempotency_key, org_id, payment_id, amount_cents, payment_method_id, status, client_secret, decline_code, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
       RETURNING ${COLUMNS}`,
      [
        id,
        request.idempotencyKey,
        request.orgId,
        request.paymentId,
        request.amountCents,
        request.paymentMethodId,
        outcome.status,
        `${id}_secret_${hash(`secret:${id}`, 16)}`,
        outcome.declineCode ?? null,
        outcome.message ?? null,
      ],
    );
    if (this.chargeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chargeDelayMs));
    return toState(rows[0]);
  }

  async retrieve(paymentIntentId: string): Promise<PaymentIntentState> {
    const { rows } = await this.db.query<IntentRow>(`SELECT ${COLUMNS} FROM sandbox_payment_intents WHERE id = $1`, [paymentIntentId]);
    if (!rows[0]) throw new Error(`No such payment intent: ${paymentIntentId}`);
    return toState(rows[0]);
  }

  async cancel(paymentIntentId: string): Promise<PaymentIntentState> {
    await this.db.query(
      // As at Stripe: any intent not yet succeeded (or cancelled) can be cancelled.
      "UPDATE sandbox_payment_intents SET status = 'canceled', updated_at = now() WHERE id = $1 AND status NOT IN ('succeeded', 'canceled')",
      [paymentIntentId],
    );
    return this.retrieve(paymentIntentId);
  }

  async attachPaymentMethod(): Promise<void> {
    // Every pm_ id is a card here; the charge decides what it does.
  }

  /** The organization of an intent, when the client secret is its own (compared in constant time). */
  async intentOrg(paymentIntentId: string, clientSecret: string): Promise<string | undefined> {
    const { rows } = await this.db.query<IntentRow>(`SELECT ${COLUMNS} FROM sandbox_payment_intents WHERE id = $1`, [paymentIntentId]);
    const row = rows[0];
    if (!row) return undefined;
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return timingSafeEqual(digest(row.client_secret), digest(clientSecret)) ? row.org_id : undefined;
  }

  /**
   * The customer completing 3-D Secure. Answers the intent as it is afterwards, and whether this
   * call confirmed it: only an intent waiting for authentication changes, once.
   */
  async completeAuthentication(paymentIntentId: string): Promise<{ intent: SandboxIntent; confirmed: boolean } | undefined> {
    const updated = await this.db.query(
      "UPDATE sandbox_payment_intents SET status = 'succeeded', updated_at = now() WHERE id = $1 AND status = 'requires_action'",
      [paymentIntentId],
    );
    const { rows } = await this.db.query<IntentRow>(`SELECT ${COLUMNS} FROM sandbox_payment_intents WHERE id = $1`, [paymentIntentId]);
    const row = rows[0];
    if (!row) return undefined;
    const intent = { id: row.id, orgId: row.org_id, paymentId: row.payment_id, amountCents: row.amount_cents, status: row.status };
    return { intent, confirmed: updated.rowCount === 1 };
  }
}
