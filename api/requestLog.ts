// One structured JSON log line per request, with a request id (taken from X-Request-Id or made),
// echoed back to the caller; and the request latency histogram.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
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

/** The request id: the caller's X-Request-Id when it is a plain token, else a new one. */
const requestId = (given: string | string[] | undefined) => (typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID());

/**
 * One listener per request, written for the usage path's rate: pino-http (a child logger, wrapped
 * response and serializers per request) cost the API about a sixth of its CPU per usage request
 * (docs/performance.md). The line: {req: {id, method, url}, res: {statusCode}, responseTime}.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const id = requestId(req.headers['x-request-id']);
    res.setHeader('x-request-id', id);
    const started = performance.now();
    // As the request came: a router strips its mount path from req.url before the response ends.
    const url = loggedUrl(req.originalUrl);
    const logLine = (level: 'info' | 'warn' | 'error', msg: string) => {
      if (logger.isLevelEnabled(level)) {
        logger[level]({ req: { id, method: req.method, url }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started) }, msg);
      }
    };
    res.on('finish', () => {
      httpRequestDuration.observe({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }, (performance.now() - started) / 1000);
      if (res.statusCode >= 500) logLine('error', 'request errored');
      else logLine('info', 'request completed');
    });
    res.on('close', () => {
      if (!res.writableFinished) logLine('warn', 'request aborted');
    });
    next();
  };
}
