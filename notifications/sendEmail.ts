// Mail through SMTP (nodemailer): one transport per SMTP_URL.
import nodemailer, { type Transporter } from 'nodemailer';

const transports = new Map<string, Transporter>();

export async function sendEmail(smtpUrl: string, mail: { from: string; to: string; subject: string; text: string }): Promise<void> {
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = nodemailer.createTransport(smtpUrl);
    transports.set(smtpUrl, transport);
  }
  await transport.sendMail(mail);
}
