// One structured JSON log line per request, with a request id (taken from X-Request-Id or made),
// echoed back to the caller; and the request latency histogram.
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import pinoHttp from 'pino-http';
import type { Logger } from '../observability/logger';
import { httpRequestDuration } from '../observability/metrics';

export function requestLog(logger: Logger): RequestHandler[] {
  const log = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
  });
  const timing: RequestHandler = (req, res, next) => {
    const stop = httpRequestDuration.startTimer();
    res.on('finish', () => stop({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }));
    next();
  };
  return [log, timing];
}
