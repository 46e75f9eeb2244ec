// A receipt's shareable link, like Stripe's receipt_url: whoever holds it may read that one receipt
// (it goes out by e-mail, where no bearer token or portal session travels). The link carries an
// HMAC of the organization and payment under the service's secret, so it cannot be guessed or
// turned into another receipt's.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ReceiptLinks {
  /** The service's address as browsers reach it (PUBLIC_URL, else the API's own). */
  baseUrl: string;
  secret: string;
}

const signature = (secret: string, orgId: string, paymentId: string) =>
  createHmac('sha256', secret).update(`receipt\n${orgId}\n${paymentId}`).digest('base64url').slice(0, 32);

export function receiptLink({ baseUrl, secret }: ReceiptLinks, orgId: string, paymentId: string): string {
  return `${baseUrl}/receipts/${encodeURIComponent(orgId)}/${encodeURIComponent(paymentId)}/${signature(secret, orgId, paymentId)}`;
}

export function receiptLinkValid(secret: string, orgId: string, paymentId: string, given: string): boolean {
  const expected = Buffer.from(signature(secret, orgId, paymentId));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
