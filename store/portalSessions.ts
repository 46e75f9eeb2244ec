// The billing portal's sign-in (portal_codes, portal_sessions): one-time link codes and the
// sessions they open, both stored only by hash (api/portalSessions.ts makes and hashes them).
import type { Pool } from 'pg';

export type PortalRole = 'owner' | 'member';

/** Whom a code or a session stands for. */
export interface PortalGrant {
  orgId: string;
  role: PortalRole;
  subject: string;
}

/** A code, usable once within `ttlMs` from now. */
export async function insertPortalCode(db: Pool, codeHash: string, grant: PortalGrant, ttlMs: number): Promise<void> {
  await db.query(
    `INSERT INTO portal_codes (code_hash, org_id, role, subject, expires_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
    [codeHash, grant.orgId, grant.role, grant.subject, ttlMs],
  );
}

/** Uses the code (once, before it expires) and opens a session for `ttlMs`, in one statement: its
 * expiry, or undefined for a bad, used or expired code. */
export async function openPortalSession(db: Pool, codeHash: string, sessionHash: string, ttlMs: number): Promise<Date | undefined> {
  const { rows } = await db.query<{ expires_at: Date }>(
    `WITH used AS (
       UPDATE portal_codes SET used_at = now()
       WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
       RETURNING org_id, role, subject)
     INSERT INTO portal_sessions (id_hash, org_id, role, subject, expires_at)
     SELECT $2, org_id, role, subject, now() + $3 * interval '1 millisecond' FROM used
     RETURNING expires_at`,
    [codeHash, sessionHash, ttlMs],
  );
  return rows[0]?.expires_at;
}

/** Whom an unexpired session stands for. */
export async function findPortalSession(db: Pool, sessionHash: string): Promise<PortalGrant | undefined> {
  const { rows } = await db.query<{ org_id: string; role: PortalRole; subject: string }>(
    'SELECT org_id, role, subject FROM portal_sessions WHERE id_hash = $1 AND expires_at > now()',
    [sessionHash],
  );
  const row = rows[0];
  return row && { orgId: row.org_id, role: row.role, subject: row.subject };
}
