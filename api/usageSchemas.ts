// Request schemas of the usage event routes: the list and the void.
import { z } from 'zod';
import { decodeUsageCursor } from '../store/usageEvents';
import { idSchema, PRINTABLE } from './schemas';

const timestamp = z.iso.datetime({ offset: true });

export const usageListQuery = z
  .strictObject({
    agentId: idSchema.optional(),
    meter: idSchema.optional(),
    from: timestamp.optional().describe('occurredAt at or after'),
    to: timestamp.optional().describe('occurredAt before'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z
      .string()
      .max(400)
      .transform((text, ctx) => decodeUsageCursor(text) ?? (ctx.addIssue({ code: 'custom', message: 'must be a cursor returned by a previous page' }), z.NEVER))
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), { message: 'must be before to', path: ['from'] });

export const usageVoidBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).regex(PRINTABLE, 'must not contain control characters'),
});
