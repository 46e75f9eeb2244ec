// Request bodies of /v1: JSON only. A body of another type is refused (415) rather than read as
// empty, which would answer with a validation error about a missing field.
import express, { type RequestHandler } from 'express';
import { MAX_BODY } from './bodyLimits';
import { ApiError } from './errors';

const NOT_JSON = 'The request body must be JSON, sent with Content-Type: application/json.';

const requireJson: RequestHandler = (req, _res, next) => {
  // An empty POST (the sandbox's confirm) or a delete request has no type to check.
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  next(hasBody && !req.is('application/json') ? new ApiError(415, 'unsupported_media_type', NOT_JSON) : undefined);
};

export function jsonBody(): RequestHandler[] {
  return [requireJson, express.json({ limit: MAX_BODY })];
}
