// In-process provider honouring Stripe's test payment methods; intents live in PostgreSQL so a
// retried charge after a crash finds the intent it already made, as Stripe's idempotency keys do.
import { createHash } from 'node:crypto';
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

interface IntentRow {
  id: string;
  status: string;
  client_secret: string;
  decline_code: string | null;
  message: string | null;
}

function toState(row: IntentRow): PaymentIntentState {
  switch (row.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentIntentId: row.id };
    case 'requires_action':
      return { status: 'requires_action', paymentIntentId: row.id, clientSecret: row.client_secret };
    default:
      return { status: 'failed', paymentIntentId: row.id, declineCode: row.decline_code ?? 'generic_decline', message: row.message ?? '' };
  }
}

export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;

  constructor(
    private readonly db: Pool,
    private readonly chargeDelayMs = 0,
  ) {}

  async charge(request: ChargeRequest): Promise<PaymentIntentState> {
    const id = `pi_sandbox_${createHash('sha256').update(request.idempotencyKey).digest('hex').slice(0, 24)}`;
    const outcome = TEST_CARDS[request.paymentMethodId] ?? { status: 'succeeded' };
    const { rows } = await this.db.query<IntentRow>(
      `INSERT INTO sandbox_payment_intents
         (id, idempotency_key, org_id, amount_cents, payment_method_id, status, client_secret, decline_code, message)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
       RETURNING id, status, client_secret, decline_code, message`,
      [
        id,
        request.idempotencyKey,
        request.orgId,
        request.amountCents,
        request.paymentMethodId,
        outcome.status,
        `${id}_secret_${createHash('sha256').update(`secret:${id}`).digest('hex').slice(0, 16)}`,
        outcome.declineCode ?? null,
        outcome.message ?? null,
      ],
    );
    if (this.chargeDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chargeDelayMs));
    return toState(rows[0]);
  }
}
