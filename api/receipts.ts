// A receipt as a printable HTML page or a PDF (pdfkit), from one model (domain/receipt.ts).
import PDFDocument from 'pdfkit';
import type { Receipt } from '../domain/receipt';
import { escapeHtml as escape } from './html';


/** The rows both forms show, in order. */
function rows(r: Receipt): Array<[string, string]> {
  return [
    ['Receipt number', r.receiptNumber],
    ['Date', r.date],
    ['Payment', r.paymentId],
    ['Billed to', r.billedTo],
    ['Item', r.line],
    ['Amount paid', r.amount],
    ...(r.card ? ([['Card', r.card]] as Array<[string, string]>) : []),
  ];
}

/** Self-contained (inline style, no script), so it prints as it is shown. */
export function receiptHtml(r: Receipt): string {
  const table = rows(r)
    .map(([label, value]) => `<tr><th scope="row">${escape(label)}</th><td>${escape(value)}</td></tr>`)
    .join('\n');
  const refunds = r.refunds.length ? `<h2>Refunds</h2>\n<ul>${r.refunds.map((x) => `<li>${escape(x)}</li>`).join('')}</ul>` : '';
  const status = r.status ? `<p><strong>${escape(r.status)}</strong></p>` : '';
  const provider = r.providerReceiptUrl ? `<p><a href="${escape(r.providerReceiptUrl)}">The payment provider's receipt</a></p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt ${escape(r.receiptNumber)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#111}th{text-align:left;padding-right:2rem;font-weight:600}td,th{padding:.25rem 0}address{font-style:normal;white-space:pre-line;color:#444}</style>
</head><body>
<header><h1>Receipt ${escape(r.receiptNumber)}</h1><p><strong>${escape(r.seller.name)}</strong></p><address>${escape(r.seller.address)}</address></header>
<table>
${table}
</table>
${refunds}
${status}
${provider}
</body></html>`;
}

/** The same receipt as a PDF (A4, Helvetica: its standard fonts need no font files). */
export function receiptPdf(r: Receipt): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Receipt ${r.receiptNumber}`, Author: r.seller.name } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(20).text(`Receipt ${r.receiptNumber}`);
  doc.moveDown(0.5).font('Helvetica-Bold').fontSize(11).text(r.seller.name);
  doc.font('Helvetica').text(r.seller.address);
  doc.moveDown();
  for (const [label, value] of rows(r)) {
    doc.font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
  }
  if (r.refunds.length) {
    doc.moveDown().font('Helvetica-Bold').text('Refunds');
    doc.font('Helvetica');
    for (const refund of r.refunds) doc.text(refund);
  }
  if (r.status) doc.moveDown().font('Helvetica-Bold').text(r.status);
  if (r.providerReceiptUrl) doc.moveDown().font('Helvetica').fillColor('blue').text("The payment provider's receipt", { link: r.providerReceiptUrl, underline: true });
  doc.end();
  return done;
}
