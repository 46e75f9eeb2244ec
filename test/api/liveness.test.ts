// /healthz is liveness: an API whose Temporal stays unreachable past TEMPORAL_LIVENESS_GRACE_MS
// stops being live (503), so that it is restarted; /readyz says which dependency is down. When
// Temporal comes back, the client reconnects by itself.
import { startApi, type ApiServer } from '../../api/server';
import { loadSettings } from '../../config/settings';
import { createPool } from '../../store/pool';
import { startDevServer, findTemporalCli } from '../../worker/temporalCli';
import { eventually, httpClient, testEnv } from '../helpers/stack';
import { freePort } from '../helpers/serviceProcess';

test('/healthz answers 503 once Temporal has been unreachable for the grace period, 200 before and once it is back', async () => {
  const port = await freePort();
  const temporal = () => startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH), port });
  const devServer = await temporal();
  let back: Awaited<ReturnType<typeof temporal>> | undefined;
  const settings = loadSettings(testEnv({ TEMPORAL_ADDRESS: devServer.address, TEMPORAL_LIVENESS_GRACE_MS: '3000' }));
  const db = createPool(settings.databaseUrl, 2, settings.databaseTimeouts);
  let api: ApiServer | undefined;
  try {
    api = await startApi(settings, db, devServer.address, 0);
    const http = httpClient(api.url);
    expect(await http.get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });

    await devServer.teardown();
    const lostAt = Date.now();
    // Within the grace period Temporal may come back (the client reconnects by itself): still live.
    expect((await http.get('/healthz')).status).toBe(200);
    expect((await http.get('/readyz')).body).toEqual({ status: 'unavailable', checks: { database: 'ok', temporal: 'unavailable' } });
    const unhealthy = await eventually(async () => {
      const res = await http.get('/healthz');
      if (res.status !== 503) throw new Error(`still live: ${res.status}`);
      return res;
    }, 15_000, 250);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(3000);
    expect(unhealthy.body).toEqual({ status: 'unhealthy', reason: expect.stringMatching(/^Temporal has not answered for \d+ s\.$/) });

    // Temporal back at the same address: the client reconnects, and the process is live and ready again.
    back = await temporal();
    await eventually(async () => (await http.get('/readyz')).status === 200, 30_000, 250);
    expect(await http.get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  } finally {
    await api?.close();
    await db.end();
    await back?.teardown();
  }
});
