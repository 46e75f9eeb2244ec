// Where and about what the organization's owner is e-mailed (notification_settings). The trigger
// on events reads this row (migrations/5_notifications.sql): no row, or a NULL address, sends no mail.
import type { Pool } from 'pg';
import { DEFAULT_EMAIL_EVENT_TYPES } from '../domain/eventTypes';

export interface EmailNotifications {
  email: string | null;
  eventTypes: string[];
}

export async function readEmailNotifications(db: Pool, orgId: string): Promise<EmailNotifications> {
  const { rows } = await db.query<EmailNotifications>('SELECT email, event_types AS "eventTypes" FROM notification_settings WHERE org_id = $1', [orgId]);
  return rows[0] ?? { email: null, eventTypes: [...DEFAULT_EMAIL_EVENT_TYPES] };
}

export async function saveEmailNotifications(db: Pool, orgId: string, settings: EmailNotifications): Promise<EmailNotifications> {
  const { rows } = await db.query<EmailNotifications>(
    `INSERT INTO notification_settings (org_id, email, event_types) VALUES ($1, $2, $3)
     ON CONFLICT (org_id) DO UPDATE SET email = $2, event_types = $3, updated_at = now()
     RETURNING email, event_types AS "eventTypes"`,
    [orgId, settings.email, settings.eventTypes],
  );
  return rows[0];
}
