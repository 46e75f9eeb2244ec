// Chooses the payment provider: Stripe when STRIPE_SECRET_KEY is set, the sandbox otherwise.
import type { Pool } from 'pg';
import type { Settings } from '../config/settings';
import type { PaymentProvider } from './provider';
import { SandboxPaymentProvider } from './sandbox';
import { createStripeClient, StripePaymentProvider } from './stripe';

export function createPaymentProvider(settings: Settings, db: Pool): PaymentProvider {
  const { secretKey, apiBase } = settings.stripe;
  // A charge makes at most two requests (the customer, the intent): both fit in one attempt, so an
  // abandoned attempt's request does not run on beside its retry.
  if (secretKey) return new StripePaymentProvider(createStripeClient(secretKey, apiBase, Math.floor(settings.rules.chargeTimeoutMs / 2)), db);
  return new SandboxPaymentProvider(db, settings.sandboxChargeDelayMs);
}
