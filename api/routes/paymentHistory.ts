// Payments as the customer sees them: the list, each one's receipt (HTML, or PDF with Accept:
// application/pdf, also behind a shareable signed link), and an operator's refund.
import { Router, type Request, type Response } from 'express';
import { isDisputed, paymentStatus, refundRefusal, type StoredPayment } from '../../domain/paymentRecords';
import { receiptOf } from '../../domain/receipt';
import { receiptLink, receiptLinkValid, type ReceiptLinks } from '../../notifications/receiptLinks';
import { findPayment, listPayments } from '../../store/payments';
import type { OrgRecord } from '../../store/orgs';
import { refundPaymentUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { receiptHtml, receiptPdf } from '../receipts';
import { idSchema, parse } from '../schemas';

const paymentNotFound = () => new ApiError(404, 'payment_not_found', 'Payment not found.');

export function paymentView(links: ReceiptLinks, p: StoredPayment) {
  return {
    id: p.id,
    paymentIntentId: p.paymentIntentId,
    kind: p.kind,
    credits: p.credits,
    amountCents: p.amountCents,
    currency: 'usd',
    status: paymentStatus(p),
    card: p.card,
    createdAt: p.createdAt,
    settledAt: p.settledAt,
    refundedCents: p.refundedCents,
    disputed: isDisputed(p),
    receiptNumber: p.receiptNumber,
    receiptUrl: p.receiptNumber ? receiptLink(links, p.orgId, p.id) : null,
    failureMessage: p.failureMessage,
  };
}

export function paymentHistoryRoutes({ orgs, db, workflows, schemas, settings, selfUrl }: ApiContext): Router {
  const router = Router();
  const links = (): ReceiptLinks => ({ baseUrl: settings.portal.publicUrl ?? selfUrl(), secret: settings.authJwtSecret });

  async function sendReceipt(req: Request, res: Response, org: OrgRecord, paymentId: string): Promise<void> {
    const payment = await findPayment(db, org.id, paymentId);
    if (!payment) throw paymentNotFound();
    const { receiptNumber } = payment;
    if (receiptNumber === null) throw new ApiError(404, 'receipt_not_found', `Only a successful payment has a receipt; this one is ${payment.status}.`);
    const receipt = receiptOf({ ...payment, receiptNumber }, org, { name: settings.receipts.sellerName, address: settings.receipts.sellerAddress }, payment.refunds);
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (req.accepts(['text/html', 'application/pdf']) === 'application/pdf') {
      res.type('application/pdf').setHeader('Content-Disposition', `inline; filename="receipt-${receiptNumber}.pdf"`);
      res.send(await receiptPdf(receipt));
      return;
    }
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('html').send(receiptHtml(receipt));
  }

  router.get('/v1/orgs/:org/payments', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readPayments);
    const query = parse(schemas.paymentList, req.query, 'query');
    const page = await listPayments(db, org.id, query);
    if (!page) throw new ApiError(422, 'validation_failed', 'cursor: must be a cursor returned by a previous page');
    const base = links();
    res.json({ payments: page.payments.map((p) => paymentView(base, p)), nextCursor: page.nextCursor });
  });

  router.get('/v1/orgs/:org/payments/:id/receipt', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readPayments);
    await sendReceipt(req, res, org, parse(schemas.paymentId, req.params.id, 'id'));
  });

  /** The shareable link (e-mail, the portal): the signature is the permission, for this one receipt. */
  router.get('/receipts/:org/:id/:signature', async (req, res) => {
    const orgId = idSchema.safeParse(req.params.org);
    const paymentId = schemas.paymentId.safeParse(req.params.id);
    const valid = orgId.success && paymentId.success && receiptLinkValid(settings.authJwtSecret, orgId.data, paymentId.data, req.params.signature);
    const org = valid ? await orgs.get(orgId.data) : undefined;
    if (!org) throw new ApiError(404, 'receipt_not_found', 'Receipt not found.');
    await sendReceipt(req, res, org, paymentId.data!);
  });

  router.post('/v1/orgs/:org/payments/:id/refunds', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.refundPayments);
    const paymentId = parse(schemas.paymentId, req.params.id, 'id');
    const { credits } = parse(schemas.refund, req.body);
    const payment = await findPayment(db, org.id, paymentId);
    if (!payment) throw paymentNotFound();
    // Refused here when it clearly cannot be made; the workflow decides again, one refund at a time.
    const refusal = refundRefusal(payment, credits);
    if (refusal) throw new ApiError(409, refusal.code, refusal.message);
    const refund = await workflows.update(org.id, refundPaymentUpdate, { paymentId, ...(credits === undefined ? {} : { credits }) });
    const after = await findPayment(db, org.id, paymentId);
    res.status(201).json({ refund, payment: paymentView(links(), after!) });
  });

  return router;
}
