// The Express application: JSON in and out, every /v1 route behind authentication.
import express from 'express';
import { registry } from '../observability/metrics';
import { authenticate, metricsAuth } from './auth';
import { openApiDocument } from './openapi';
import { requestLog } from './requestLog';
import type { ApiContext } from './context';
import { ApiError, errorHandler } from './errors';
import { jsonBody } from './jsonBody';
import { agencyRoutes } from './routes/agencies';
import { alertRoutes } from './routes/alerts';
import { billingRoutes } from './routes/billing';
import { healthRoutes } from './routes/health';
import { historyRoutes } from './routes/history';
import { notificationRoutes } from './routes/notifications';
import { orgRoutes } from './routes/orgs';
import { paymentMethodRoutes } from './routes/paymentMethods';
import { paymentRoutes, webhookRoutes } from './routes/payments';
import { paymentHistoryRoutes } from './routes/paymentHistory';
import { sandboxRefundRoutes } from './routes/sandboxRefunds';
import { grantRoutes } from './routes/grants';
import { portalRoutes } from './routes/portal';
import { priceBookRoutes } from './routes/priceBook';
import { sandboxCheckoutRoutes } from './routes/sandboxCheckout';
import { projectionRoutes } from './routes/projections';
import { usageRoutes } from './routes/usage';
import { webhookEndpointRoutes } from './routes/webhookEndpoints';


export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(ctx.logger));
  app.use(healthRoutes(ctx));
  const openApi = openApiDocument(ctx.schemas);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.get('/metrics', metricsAuth(ctx.settings.metricsToken), async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  app.use(webhookRoutes(ctx));
  app.use(sandboxCheckoutRoutes(ctx));
  app.use('/v1', authenticate(ctx.settings.authJwtSecret, ctx.db));
  app.use(jsonBody());
  app.use(usageRoutes(ctx), orgRoutes(ctx), billingRoutes(ctx), historyRoutes(ctx), paymentRoutes(ctx), agencyRoutes(ctx));
  app.use(webhookEndpointRoutes(ctx), notificationRoutes(ctx));
  app.use(paymentMethodRoutes(ctx));
  app.use(projectionRoutes(ctx), priceBookRoutes(ctx), portalRoutes(ctx));
  app.use(paymentHistoryRoutes(ctx), sandboxRefundRoutes(ctx));
  app.use(grantRoutes(ctx));
  app.use(alertRoutes(ctx));
  app.use((_req, _res, next) => next(new ApiError(404, 'not_found', 'No such route.')));
  app.use(errorHandler(ctx.logger));
  return app;
}
