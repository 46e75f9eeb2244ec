// One structured JSON log line per request, with a request id (taken from X-Request-Id or made),
// echoed back to the caller; and the request latency histogram.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import pinoHttp from 'pino-http';
import type { Logger } from '../observability/logger';
import { httpRequestDuration } from '../observability/metrics';

/** Query parameters that carry a credential: the portal link's one-time code. */
const SECRET_PARAMS = ['code'];

/** The URL as logged: a secret parameter's value is replaced, so the log never holds a usable link. */
export function loggedUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const params = new URLSearchParams(url.slice(query + 1));
  let redacted = false;
  for (const name of SECRET_PARAMS) {
    if (!params.has(name)) continue;
    params.set(name, 'REDACTED');
    redacted = true;
  }
  return redacted ? `${url.slice(0, query)}?${params}` : url;
}

export function requestLog(logger: Logger): RequestHandler[] {
  const log = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    serializers: { req: (req) => ({ id: req.id, method: req.method, url: loggedUrl(req.url) }), res: (res) => ({ statusCode: res.statusCode }) },
  });
  const timing: RequestHandler = (req, res, next) => {
    const stop = httpRequestDuration.startTimer();
    res.on('finish', () => stop({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }));
    next();
  };
  return [log, timing];
}
