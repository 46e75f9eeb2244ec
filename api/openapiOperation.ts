// One operation of the OpenAPI document (openapi.ts), the shape every operations list is written in.
import type { z } from 'zod';
import type { Scope } from './caller';

export type Role = 'owner' | 'member' | 'service' | 'ops' | 'any authenticated caller' | 'the portal page (one-time code or session cookie)' | 'ops for every organization (org *)' | 'agency people' | 'agency owner' | 'Stripe (signature)' | 'anyone' | 'the customer (the session url is the proof)';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /** Path parameters that are not organization-style ids. */
  params?: Record<string, z.ZodType>;
  summary: string;
  who: Role[];
  body?: z.ZodType;
  query?: z.ZodType;
  headers?: Record<string, z.ZodType>;
  responses: Record<number, string>;
  /** The token scope a bearer token limited by a scope claim needs (access.ts RULES); default billing. */
  scope?: Scope | 'any';
}
