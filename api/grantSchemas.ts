// Request schemas of the credit grant routes.
import { z } from 'zod';
import { DEFAULT_GRANT_PRIORITY, GRANT_CATEGORIES, GRANT_STATUSES, MAX_GRANT_PRIORITY } from '../domain/grants';
import { MAX_CREDITS } from '../domain/subscription';
import { idempotencyKeySchema, PRINTABLE } from './schemas';

export const grantBody = z.strictObject({
  credits: z.int().min(1).max(MAX_CREDITS),
  name: z.string().trim().min(1).max(200).regex(PRINTABLE, 'must not contain control characters'),
  category: z.enum(GRANT_CATEGORIES),
  priority: z.int().min(0).max(MAX_GRANT_PRIORITY).default(DEFAULT_GRANT_PRIORITY),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((at) => Date.parse(at) > Date.now(), 'must be in the future')
    .nullable()
    .default(null),
  idempotencyKey: idempotencyKeySchema.nullable().default(null),
});

export const grantListQuery = z.strictObject({
  status: z.enum(GRANT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const grantIdSchema = z.string().regex(/^grant_[A-Za-z0-9_-]{1,200}$/, 'must be a grant id (grant_...)');
