// Portal sign-in: a one-time code (60 s, once) in the link, exchanged for a session id in an
// HttpOnly cookie. Both are random and stored only as SHA-256 hashes.
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Caller } from './auth';

export const PORTAL_COOKIE = 'portal_session';
export const CODE_TTL_MS = 60_000;

export type PortalRole = 'owner' | 'member';

const random = () => randomBytes(32).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function createPortalCode(db: Pool, orgId: string, role: PortalRole, subject: string): Promise<string> {
  const code = random();
  await db.query(
    `INSERT INTO portal_codes (code_hash, org_id, role, subject, expires_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
    [sha256(code), orgId, role, subject, CODE_TTL_MS],
  );
  return code;
}

/** Uses the code (once, within its minute) and opens a session; undefined for a bad, used or expired code. */
export async function exchangePortalCode(db: Pool, code: string, ttlMs: number): Promise<{ sessionId: string; expiresAt: string } | undefined> {
  const sessionId = random();
  const { rows } = await db.query<{ expires_at: Date }>(
    `WITH used AS (
       UPDATE portal_codes SET used_at = now()
       WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING org_id, role, subject)
     INSERT INTO portal_sessions (id_hash, org_id, role, subject, expires_at)
     SELECT $2, org_id, role, subject, now() + $3 * interval '1 millisecond' FROM used
     RETURNING expires_at`,
    [sha256(code), sha256(sessionId), ttlMs],
  );
  return rows[0] ? { sessionId, expiresAt: rows[0].expires_at.toISOString() } : undefined;
}

/** The caller a session cookie stands for, as a JWT with these claims would. */
export async function portalCaller(db: Pool, sessionId: string): Promise<Caller | undefined> {
  const { rows } = await db.query<{ org_id: string; role: PortalRole; subject: string }>(
    'SELECT org_id, role, subject FROM portal_sessions WHERE id_hash = $1 AND expires_at > now()',
    [sha256(sessionId)],
  );
  const row = rows[0];
  return row ? { org: row.org_id, role: row.role, sub: row.subject } : undefined;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
