// Who is calling: the claims a bearer token carries, or a portal session stands for (auth.ts),
// which the access rules judge (access.ts).
import { z } from 'zod';

export const ROLES = ['owner', 'member', 'service', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** Roles of people (not backends): their tokens must expire, and they may act for their agency. */
export const PEOPLE: readonly Role[] = ['owner', 'member'];

export const claimsSchema = z
  .object({ sub: z.string().min(1), role: z.enum(ROLES), org: z.string().min(1) })
  .refine((c) => c.org !== '*' || c.role === 'service' || c.role === 'ops', { message: 'only service and ops tokens may name every organization' });

export type Caller = z.infer<typeof claimsSchema>;

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}
