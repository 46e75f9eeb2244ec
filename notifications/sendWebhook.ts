// One attempt of a webhook delivery: a signed POST, answered within the timeout. The host is
// resolved through the URL policy, so a name that resolves into the server's own network is refused.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { signatureHeader } from './signature';
import { resolveDeliveryAddress } from './urlPolicy';

export interface WebhookRequest {
  url: string;
  webhookId: string;
  body: string;
  secrets: string[];
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface WebhookAnswer {
  /** null when no HTTP answer came (refused address, network error, timeout). */
  statusCode: number | null;
  error: string | null;
  /** Retry-After of a 429 or 503, in ms (at most MAX_RETRY_AFTER_MS). */
  retryAfterMs: number | null;
}

/** The longest wait a Retry-After can ask for: an endpoint cannot push its next attempt further. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** An HTTP-date (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime forms) starts with a day name. */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/** Retry-After in ms: delta-seconds (digits only) or an HTTP-date, at most MAX_RETRY_AFTER_MS;
 * anything else (`1e300`, `1.5`, a bare year) is ignored. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | null {
  const value = header?.trim();
  if (!value) return null;
  // A number too long for a double is Infinity here, which the clamp turns into the maximum.
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = HTTP_DATE.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

export async function sendWebhook(request: WebhookRequest): Promise<WebhookAnswer> {
  const url = new URL(request.url);
  try {
    // An address written in the URL is checked here; a name is checked as it resolves (below).
    await resolveDeliveryAddress(url.hostname, request.allowPrivate);
  } catch (err) {
    return { statusCode: null, error: (err as Error).message, retryAfterMs: null };
  }
  const lookup: LookupFunction = (hostname, options, callback) => {
    resolveDeliveryAddress(hostname, request.allowPrivate).then(
      ({ address, family }) => (options.all ? callback(null, [{ address, family }]) : callback(null, address, family)),
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(request.body)),
    'user-agent': 'credits-billing-webhooks/1',
    'webhook-id': request.webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(request.secrets, request.webhookId, timestamp, request.body),
  };
  return new Promise((resolve) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { method: 'POST', headers, lookup, signal: AbortSignal.timeout(request.timeoutMs) }, (res) => {
      res.resume(); // the body is not read: only the status counts
      const statusCode = res.statusCode ?? null;
      const honoured = statusCode === 429 || statusCode === 503 ? retryAfterMs(res.headers['retry-after']) : null;
      resolve({ statusCode, error: null, retryAfterMs: honoured });
    });
    req.on('error', (err) => resolve({ statusCode: null, error: err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : err.message, retryAfterMs: null }));
    req.end(request.body);
  });
}
