// The owner's e-mail notifications: the address and the event types mailed to it.
import { Router } from 'express';
import { DEFAULT_EMAIL_EVENT_TYPES } from '../../domain/eventTypes';
import { readEmailNotifications, saveEmailNotifications } from '../../store/notificationSettings';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function notificationRoutes({ orgs, db, schemas }: ApiContext): Router {
  const router = Router();

  router.put('/v1/orgs/:org/notifications', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const { email, eventTypes } = parse(schemas.notificationSettings, req.body);
    res.json(await saveEmailNotifications(db, org.id, { email, eventTypes: eventTypes ?? [...DEFAULT_EMAIL_EVENT_TYPES] }));
  });

  router.get('/v1/orgs/:org/notifications', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readNotificationSettings);
    res.json(await readEmailNotifications(db, org.id));
  });

  return router;
}
