// Bearer JWT (HS256) authentication, or the billing portal's session cookie: who is calling, in
// which role, for which organization.
import { createHash, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Pool } from 'pg';
import jwt from 'jsonwebtoken';
import { claimsSchema, PEOPLE, type Caller } from './caller';
import { ApiError } from './errors';
import { cookieValue, PORTAL_COOKIE, portalCaller } from './portalSessions';

export function signToken(claims: Caller, secret: string, expiresInSeconds = 3600): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: expiresInSeconds });
}

/** The header the portal page sends with every change: a cross-site form or image cannot set it (CSRF). */
export const PORTAL_HEADER = 'x-portal';

/** A portal session maps to a caller exactly as a JWT would, so every /v1 rule applies unchanged. */
async function sessionCaller(req: Request, db: Pool, sessionId: string): Promise<Caller> {
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.header(PORTAL_HEADER) !== '1') {
    throw new ApiError(403, 'portal_header_required', 'Changes made with the portal session need the X-Portal: 1 header.');
  }
  const caller = await portalCaller(db, sessionId);
  if (!caller) throw new ApiError(401, 'unauthorized', 'The portal session has expired or is invalid; open a new portal link.');
  return caller;
}

export function authenticate(secret: string, db: Pool): RequestHandler {
  // A key object made once: given a string, jsonwebtoken first tries (and fails) to parse it as a
  // public key on every request, which was the API's largest single cost under load.
  const key = createSecretKey(Buffer.from(secret));
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    const sessionId = match ? undefined : cookieValue(req.headers.cookie, PORTAL_COOKIE);
    if (sessionId) {
      sessionCaller(req, db, sessionId).then((caller) => {
        req.caller = caller;
        next();
      }, next);
      return;
    }
    if (!match) return next(new ApiError(401, 'unauthorized', 'A bearer token is required.'));
    let payload: unknown;
    try {
      payload = jwt.verify(match[1], key, { algorithms: ['HS256'] });
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      return next(new ApiError(401, 'unauthorized', expired ? 'The token has expired.' : 'The token is invalid.'));
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return next(new ApiError(401, 'unauthorized', 'The token claims are invalid.'));
    // People's tokens leak with browsers and laptops, so they must expire; a service's may be long-lived.
    if (PEOPLE.includes(claims.data.role) && (payload as { exp?: unknown }).exp === undefined) {
      return next(new ApiError(401, 'unauthorized', 'Owner and member tokens must have an expiry (exp).'));
    }
    req.caller = claims.data;
    next();
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** GET /metrics with METRICS_TOKEN set: only with that bearer token (compared in constant time). */
export function metricsAuth(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
    if (!expected) return next();
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    next(new ApiError(401, 'unauthorized', 'The metrics need the METRICS_TOKEN bearer token.'));
  };
}
