// Pure rules about saved cards: how one is named to a person, and when it counts as expiring.

export interface CardView {
  id: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
}

const BRAND_NAMES: Record<string, string> = { visa: 'Visa', mastercard: 'Mastercard', amex: 'American Express', discover: 'Discover', diners: 'Diners Club', jcb: 'JCB', unionpay: 'UnionPay' };

export function brandName(brand: string | null): string {
  if (!brand) return 'Card';
  return BRAND_NAMES[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
}

/** "Visa •••• 4242"; a card the provider could not describe is named by its id. */
export function cardName(card: CardView): string {
  return card.last4 ? `${brandName(card.brand)} •••• ${card.last4}` : card.id;
}

/** "12/2030", or null when the expiry is unknown. */
export function cardExpiry(card: Pick<CardView, 'expMonth' | 'expYear'>): string | null {
  return card.expMonth && card.expYear ? `${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : null;
}

/** "Visa •••• 4242, expires 12/2030": how the portal lists a card. */
export function cardLabel(card: CardView): string {
  const expiry = cardExpiry(card);
  return expiry ? `${cardName(card)}, expires ${expiry}` : cardName(card);
}

/** The last month (year, 1-12) a card may expire in to count as expiring at `now`: next month (UTC).
 * A card works through the last day of its expiry month, so one expiring next month or earlier
 * stops working before the end of next month. */
export function expiringThrough(now: Date): { year: number; month: number } {
  const month = now.getUTCMonth() + 2; // getUTCMonth is 0-based; +1 for 1-based, +1 for next month
  return month > 12 ? { year: now.getUTCFullYear() + 1, month: month - 12 } : { year: now.getUTCFullYear(), month };
}

export function isExpiring(card: Pick<CardView, 'expMonth' | 'expYear'>, now: Date): boolean {
  if (!card.expMonth || !card.expYear) return false;
  const { year, month } = expiringThrough(now);
  return card.expYear < year || (card.expYear === year && card.expMonth <= month);
}

/** Whether a typed expiry (month, 4-digit year) is still valid at `now` (through its month's end, UTC). */
export function expiryInFuture(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return expYear > year || (expYear === year && expMonth >= month);
}
