// `npm start` without TEMPORAL_ADDRESS: an embedded Temporal dev server persisted under DATA_DIR,
// its UI on port + 1000; a restart keeps every organization's workflow and state.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signToken } from '../../api/auth';
import { freePort, ServiceProcess } from '../helpers/serviceProcess';
import { httpClient, testEnv, uniqueOrgId } from '../helpers/stack';

const SECRET = 'embedded-secret';

async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 < 65536) return port;
  }
}

test('the embedded dev server keeps workflows across a restart and serves the UI', async () => {
  const [apiPort, temporalPort] = [await freePort(), await freePortPair()];
  const service = new ServiceProcess(
    testEnv({
      TEMPORAL_ADDRESS: '',
      TEMPORAL_DEV_SERVER_PORT: String(temporalPort),
      DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'billing-data-')),
      PORT: String(apiPort),
      AUTH_JWT_SECRET: SECRET,
    }),
    `http://127.0.0.1:${apiPort}`,
  );
  const http = httpClient(service.url);
  const ops = signToken({ sub: 'ops', role: 'ops', org: '*' }, SECRET);
  const orgId = uniqueOrgId('embedded');
  const subscription = { status: 'active', planCredits: 777, currentPeriodEnd: new Date(Date.now() + 86400_000).toISOString() };

  try {
    await service.start();
    expect((await http.post('/v1/orgs', ops, { id: orgId, name: 'Embedded' })).status).toBe(201);
    expect((await http.put(`/v1/orgs/${orgId}/subscription`, ops, subscription)).status).toBe(200);
    const ui = await fetch(`http://127.0.0.1:${temporalPort + 1000}/`);
    expect(ui.status).toBe(200);

    await service.stop();
    await service.start();
    const billing = await http.get(`/v1/orgs/${orgId}/billing`, ops);
    expect(billing.status).toBe(200);
    expect(billing.body.planCredits).toEqual({ allowance: 777, remaining: 777 });
  } finally {
    await service.stop();
  }
});
