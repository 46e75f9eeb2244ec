// Liveness and readiness.
import { Router } from 'express';
import { pingDatabase } from '../../db/pool';
import type { ApiContext } from '../context';

/** How long a readiness check waits for each dependency. */
const CHECK_TIMEOUT_MS = 2_000;

function within(ms: number, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes({ settings, temporalReady }: ApiContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      // A connection of its own: the pool's may all be waiting on a lock.
      pingDatabase(settings.databaseUrl, CHECK_TIMEOUT_MS).then(() => 'ok', () => 'unavailable'),
      within(CHECK_TIMEOUT_MS, temporalReady()).then(() => 'ok', () => 'unavailable'),
    ]);
    const ready = database === 'ok' && temporal === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { database, temporal } });
  });
  return router;
}
