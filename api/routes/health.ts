// Liveness and readiness.
import { Router } from 'express';
import type { ApiContext } from '../context';

export function healthRoutes({ db, temporalReady }: ApiContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      db.query('SELECT 1').then(() => 'ok', () => 'unavailable'),
      temporalReady().then(() => 'ok', () => 'unavailable'),
    ]);
    const ready = database === 'ok' && temporal === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { database, temporal } });
  });
  return router;
}
