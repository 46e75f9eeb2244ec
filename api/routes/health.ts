// Liveness and readiness.
import { Router } from 'express';
import { pingDatabase } from '../../store/pool';
import type { ApiContext } from '../context';

/** How long a readiness or liveness check waits for each dependency. */
const CHECK_TIMEOUT_MS = 2_000;

function within(ms: number, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes({ settings, temporalReady, temporalHealth }: ApiContext): Router {
  const router = Router();

  // One question to Temporal at a time: one not answered in time goes on retrying in the client,
  // and checks during an outage must not pile them up.
  let asking: Promise<void> | undefined;
  const askTemporal = () => (asking ??= temporalReady().finally(() => (asking = undefined)));

  // The client reconnects by itself when Temporal comes back; one that stays gone (an embedded dev
  // server that died) makes the process unhealthy. Commands that reach Temporal count too.
  const checkTemporal = async (): Promise<boolean> => {
    const ok = await within(CHECK_TIMEOUT_MS, askTemporal()).then(() => true, () => false);
    if (ok) temporalHealth.answered();
    else temporalHealth.failed();
    return ok;
  };

  router.get('/healthz', async (_req, res) => {
    await checkTemporal();
    const downForMs = temporalHealth.downForMs();
    if (downForMs < settings.temporal.livenessGraceMs) {
      res.json({ status: 'ok' });
      return;
    }
    res.status(503).json({ status: 'unhealthy', reason: `Temporal has not answered for ${Math.round(downForMs / 1000)} s.` });
  });

  router.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      // A connection of its own: the pool's may all be waiting on a lock.
      pingDatabase(settings.databaseUrl, CHECK_TIMEOUT_MS).then(() => 'ok', () => 'unavailable'),
      checkTemporal().then((ok) => (ok ? 'ok' : 'unavailable')),
    ]);
    const ready = database === 'ok' && temporal === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { database, temporal } });
  });
  return router;
}
