// The Express application: JSON in and out, every /v1 route behind authentication.
import express from 'express';
import { authenticate } from './auth';
import type { ApiContext } from './context';
import { ApiError, errorHandler } from './errors';
import { billingRoutes } from './routes/billing';
import { healthRoutes } from './routes/health';
import { historyRoutes } from './routes/history';
import { orgRoutes } from './routes/orgs';
import { usageRoutes } from './routes/usage';

export const MAX_BODY = '1mb';

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(ctx));
  app.use('/v1', authenticate(ctx.settings.authJwtSecret));
  app.use(express.json({ limit: MAX_BODY }));
  app.use(orgRoutes(ctx), billingRoutes(ctx), usageRoutes(ctx), historyRoutes(ctx));
  app.use((_req, _res, next) => next(new ApiError(404, 'not_found', 'No such route.')));
  app.use(errorHandler(ctx.logger));
  return app;
}
