// The sandbox provider's test cards: Stripe's documented test numbers, the test payment methods
// they stand for, what a charge to each does, and the card details the provider reports. One table,
// read by the sandbox provider (charges, card details) and by the sandbox checkout page.
import type { CardDetails } from './provider';

export interface ChargeOutcome {
  status: 'succeeded' | 'requires_action' | 'failed';
  declineCode?: string;
  message?: string;
}

export interface SandboxCard {
  /** Stripe's test payment method id for this card. */
  paymentMethodId: string;
  /** Stripe's documented test number, digits only. */
  number: string;
  card: CardDetails;
  /** What every charge to this card does. */
  charge: ChargeOutcome;
  /** Refused when it is saved (the checkout declines it), as Stripe's 4000 0000 0000 0002 is. */
  declinedAtSave?: boolean;
}

const EXPIRES = { expMonth: 12, expYear: 2034 };
const SUCCEEDS: ChargeOutcome = { status: 'succeeded' };
const DECLINED: ChargeOutcome = { status: 'failed', declineCode: 'generic_decline', message: 'Your card was declined.' };

export const SANDBOX_CARDS: readonly SandboxCard[] = [
  { paymentMethodId: 'pm_card_visa', number: '4242424242424242', card: { brand: 'visa', last4: '4242', ...EXPIRES }, charge: SUCCEEDS },
  { paymentMethodId: 'pm_card_mastercard', number: '5555555555554444', card: { brand: 'mastercard', last4: '4444', ...EXPIRES }, charge: SUCCEEDS },
  { paymentMethodId: 'pm_card_authenticationRequired', number: '4000002760003184', card: { brand: 'visa', last4: '3184', ...EXPIRES }, charge: { status: 'requires_action' } },
  {
    paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds',
    number: '4000000000009995',
    card: { brand: 'visa', last4: '9995', ...EXPIRES },
    charge: { status: 'failed', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  },
  { paymentMethodId: 'pm_card_chargeCustomerFail', number: '4000000000000341', card: { brand: 'visa', last4: '0341', ...EXPIRES }, charge: DECLINED },
  { paymentMethodId: 'pm_card_chargeDeclined', number: '4000000000000002', card: { brand: 'visa', last4: '0002', ...EXPIRES }, charge: DECLINED, declinedAtSave: true },
];

export function sandboxCard(paymentMethodId: string): SandboxCard | undefined {
  return SANDBOX_CARDS.find((c) => c.paymentMethodId === paymentMethodId);
}

/** A payment method id outside the table is a card that charges successfully (as before). */
export function chargeOutcome(paymentMethodId: string): ChargeOutcome {
  return sandboxCard(paymentMethodId)?.charge ?? SUCCEEDS;
}

/** The test card a typed number stands for (spaces and dashes ignored); undefined for any other number. */
export function sandboxCardForNumber(typed: string): SandboxCard | undefined {
  const digits = typed.replace(/[\s-]/g, '');
  return SANDBOX_CARDS.find((c) => c.number === digits);
}
