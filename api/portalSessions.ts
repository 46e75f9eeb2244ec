// Portal sign-in: a one-time code (60 s, once) in the link, exchanged for a session id in an
// HttpOnly cookie. Both are random and stored only as SHA-256 hashes (store/portalSessions.ts).
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { findPortalSession, insertPortalCode, openPortalSession, type PortalRole } from '../store/portalSessions';
import type { Caller } from './caller';

export const PORTAL_COOKIE = 'portal_session';
export const CODE_TTL_MS = 60_000;

const random = () => randomBytes(32).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function createPortalCode(db: Pool, orgId: string, role: PortalRole, subject: string): Promise<string> {
  const code = random();
  await insertPortalCode(db, sha256(code), { orgId, role, subject }, CODE_TTL_MS);
  return code;
}

/** Uses the code (once, within its minute) and opens a session; undefined for a bad, used or expired code. */
export async function exchangePortalCode(db: Pool, code: string, ttlMs: number): Promise<{ sessionId: string; expiresAt: string } | undefined> {
  const sessionId = random();
  const expiresAt = await openPortalSession(db, sha256(code), sha256(sessionId), ttlMs);
  return expiresAt ? { sessionId, expiresAt: expiresAt.toISOString() } : undefined;
}

/** The caller a session cookie stands for, as a JWT with these claims would. */
export async function portalCaller(db: Pool, sessionId: string): Promise<Caller | undefined> {
  const session = await findPortalSession(db, sha256(sessionId));
  return session ? { org: session.orgId, role: session.role, sub: session.subject } : undefined;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
