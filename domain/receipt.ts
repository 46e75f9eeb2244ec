// A payment's receipt as text rows, one model for the printable HTML and the PDF (api/receipts.ts).
import { formatCents, formatCredits, paymentStatus, receiptLine, type StoredPayment } from './paymentRecords';

export interface ReceiptRefund {
  refundId: string;
  amountCents: number;
  credits: number;
  at: string;
}

export interface Receipt {
  seller: { name: string; address: string };
  /** The organization billed: its name and id. */
  billedTo: string;
  receiptNumber: string;
  /** The payment's settlement date, UTC, e.g. "2026-12-04". */
  date: string;
  paymentId: string;
  line: string;
  amount: string;
  /** "Visa •••• 4242", or null when the card is not known. */
  card: string | null;
  refunds: string[];
  /** What the payment comes to after refunds, or a dispute's note. */
  status: string | null;
  /** The provider's own receipt (Stripe's receipt_url). */
  providerReceiptUrl: string | null;
}

const brandName = (brand: string) => brand.charAt(0).toUpperCase() + brand.slice(1);

export const cardLabel = (card: { brand: string; last4: string }) => `${brandName(card.brand)} •••• ${card.last4}`;

export function receiptOf(
  payment: StoredPayment & { receiptNumber: string },
  org: { id: string; name: string },
  seller: { name: string; address: string },
  refunds: ReceiptRefund[],
): Receipt {
  const status = paymentStatus(payment);
  const refundedCents = refunds.reduce((sum, r) => sum + r.amountCents, 0);
  return {
    seller,
    billedTo: `${org.name} (${org.id})`,
    receiptNumber: payment.receiptNumber,
    date: (payment.settledAt ?? payment.createdAt).slice(0, 10),
    paymentId: payment.id,
    line: receiptLine(payment),
    amount: formatCents(payment.amountCents),
    card: payment.card && cardLabel(payment.card),
    refunds: refunds.map((r) => `${r.at.slice(0, 10)}: refunded ${formatCents(r.amountCents)} (${formatCredits(r.credits)} credits), ${r.refundId}`),
    status:
      status === 'disputed'
        ? 'This payment is disputed.'
        : refundedCents > 0
          ? `Refunded ${formatCents(refundedCents)}; net paid ${formatCents(payment.amountCents - refundedCents)}.`
          : null,
    providerReceiptUrl: payment.providerReceiptUrl,
  };
}
