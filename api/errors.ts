// The error shape of every response: {"error": {"code", "message"}}, and the mapping of failures to it.
import { ApplicationFailure, ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { ErrorRequestHandler } from 'express';
import pg from 'pg';
import type { Logger } from '../observability/logger';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Organization') => new ApiError(404, `${what.toLowerCase().replace(/[^a-z]+/g, '_')}_not_found`, `${what} not found.`);
export const forbidden = (message = 'You may not do this for this organization.') => new ApiError(403, 'forbidden', message);

/** Seconds a client is told to wait (Retry-After) when a dependency cannot answer now. */
const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

/** PostgreSQL cannot answer now (or not for this request now: heavyReads.ts); retry later. */
export const databaseUnavailable = () => new ApiError(503, 'database_unavailable', 'The database is unavailable; retry later.', DEPENDENCY_RETRY_AFTER_SECONDS);

/** PostgreSQL cannot answer now: connection failures, shutdowns, too many connections, and a
 * statement given up by lock_timeout (55P03) or statement_timeout (57014). */
const UNAVAILABLE_PG_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300', '55P03', '57014']);
/** pg's own errors carry no code: no free connection within the pool's wait, a connection lost. */
const PG_CONNECTION_ERRORS = /^(timeout exceeded when trying to connect|Connection terminated)/;

/** A dependency's failure is reported as that dependency's. */
function unavailable(err: unknown): ApiError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if ((typeof code === 'string' && UNAVAILABLE_PG_CODES.has(code)) || (err instanceof Error && PG_CONNECTION_ERRORS.test(err.message))) {
    return databaseUnavailable();
  }
  // Any other database error is ours (500): never taken for Temporal's, whatever its message says.
  if (err instanceof pg.DatabaseError) return undefined;
  // A command past its deadline (TEMPORAL_COMMAND_TIMEOUT_MS) fails as the update RPC's timeout, or as a ServiceError.
  if (err instanceof ServiceError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (err instanceof Error && /UNAVAILABLE|DEADLINE_EXCEEDED|Connection refused|transport/i.test(err.message))) {
    return new ApiError(503, 'temporal_unavailable', 'The workflow service is unavailable; retry later.', DEPENDENCY_RETRY_AFTER_SECONDS);
  }
  return undefined;
}

/** A refusal the organization workflow raised (validator or handler) becomes a 409 with its type as code. */
export function workflowRefusal(err: unknown): ApiError | undefined {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type) {
    return new ApiError(409, err.cause.type, err.cause.message);
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyError = err as { type?: string; status?: number };
    let apiError: ApiError;
    if (err instanceof ApiError) apiError = err;
    else if (bodyError.type === 'entity.too.large') apiError = new ApiError(413, 'payload_too_large', 'The request body is too large.');
    else if (bodyError.type === 'entity.parse.failed') apiError = new ApiError(400, 'malformed_json', 'The request body is not valid JSON.');
    else if (bodyError.status === 415) apiError = new ApiError(415, 'unsupported_media_type', `The request body must be UTF-8 JSON: ${(err as Error).message}.`);
    else if (bodyError.status === 400) apiError = new ApiError(400, 'bad_request', (err as Error).message);
    else {
      apiError = workflowRefusal(err) ?? unavailable(err) ?? new ApiError(500, 'internal_error', 'Something went wrong.');
      if (apiError.status >= 500) logger.error({ err, path: req.path }, 'request failed');
    }
    if (apiError.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(apiError.retryAfterSeconds));
    res.status(apiError.status).json({ error: { code: apiError.code, message: apiError.message } });
  };
}
