// The owner's e-mail for one event: the event's message, whose it is, when, and what to do.

export interface EmailedEvent {
  type: string;
  at: string;
  message: string;
}

const WHAT_TO_DO: Record<string, string> = {
  'auto_recharge.disabled': 'Update the payment method, then turn auto-recharge on again under Billing.',
  'auto_recharge.failed': 'Check the payment method on file; the next attempt follows after the backoff.',
  'auto_recharge.cap_reached': 'Raise the monthly maximum of recharges, or top up credits by hand, to keep your agents serving until the renewal.',
  'payment.requires_action': 'Your bank asks you to authenticate the payment: open the billing page to complete it.',
  'top_up.failed': 'Check the payment method on file and try the top-up again.',
  'allocation.failed': 'Check the payment method of the agency that pays for the allocation.',
  'webhook_endpoint.disabled': 'Fix the endpoint, then enable it again.',
  'payment.disputed': 'A payment is disputed with the card issuer. Auto-recharge stays off until you turn it on again under Billing.',
  'payment_method.expiring': 'Add a new card under Billing and make it the default before this one expires, so that charges keep working.',
  'credits.expired': 'Expired credits are gone for good; check Billing for what is left and the next expiry.',
  'alert.triggered': 'Check usage under Billing; top up credits or adjust auto-recharge if you need more before the renewal. The alert fires again once it re-arms.',
};

/** `receiptUrl`: a successful payment's receipt, linked from its e-mail. */
export function notificationEmail(org: { id: string; name: string }, event: EmailedEvent, receiptUrl: string | null = null): { subject: string; text: string } {
  return {
    subject: `${org.name}: ${event.message}`,
    text: [
      event.message,
      '',
      `Organization: ${org.name} (${org.id})`,
      `Time: ${event.at}`,
      '',
      WHAT_TO_DO[event.type] ?? 'No action is needed.',
      ...(receiptUrl ? ['', `Receipt: ${receiptUrl}`] : []),
    ].join('\n'),
  };
}
