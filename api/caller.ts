// Who is calling: the claims a bearer token carries, or a portal session stands for (auth.ts),
// which the access rules judge (access.ts).
import { z } from 'zod';

export const ROLES = ['owner', 'member', 'service', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** Roles of people (not backends): their tokens must expire, and they may act for their agency. */
export const PEOPLE: readonly Role[] = ['owner', 'member'];

/** What a token may be limited to, by its `scope` claim (space-separated, as in OAuth): `usage`
 * reports usage and reads allowances, `portal` opens portal sessions, `billing` is everything else
 * its role allows. A token without the claim has every right of its role. */
export const SCOPES = ['usage', 'portal', 'billing'] as const;
export type Scope = (typeof SCOPES)[number];

export const claimsSchema = z
  .object({ sub: z.string().min(1), role: z.enum(ROLES), org: z.string().min(1), scope: z.string().max(200).optional() })
  .refine((c) => c.org !== '*' || c.role === 'service' || c.role === 'ops', { message: 'only service and ops tokens may name every organization' });

export type Caller = z.infer<typeof claimsSchema>;

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

/** A scope name the token does not know grants nothing. */
export function hasScope(caller: Caller, scope: Scope): boolean {
  return caller.scope === undefined || caller.scope.split(/\s+/).includes(scope);
}
