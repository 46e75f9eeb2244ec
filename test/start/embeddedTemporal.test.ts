// `npm start` without TEMPORAL_ADDRESS after a crash: a kill -9 of the service leaves its embedded
// Temporal dev server running; the next start ends that leftover and serves within 60 s. A start
// whose port is taken says so and exits non-zero; a service whose dev server dies exits.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { signToken } from '../../api/auth';
import { PROJECT_ROOT } from '../../config/paths';
import { pidsMatching } from '../../support/processes';
import { freePort, ServiceProcess } from '../helpers/serviceProcess';
import { eventually, httpClient, testEnv, uniqueOrgId } from '../helpers/stack';

const SECRET = 'embedded-secret';

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** A port whose UI port (+ 1000) is free too: a start refuses a taken one. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 < 65536 && (await isFree(port + 1000))) return port;
  }
}

async function embeddedEnv(): Promise<{ env: NodeJS.ProcessEnv; url: string; temporalPort: number; dataDir: string }> {
  const [apiPort, temporalPort] = [await freePort(), await freePortPair()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'billing-data-'));
  const env = testEnv({ TEMPORAL_ADDRESS: '', TEMPORAL_DEV_SERVER_PORT: String(temporalPort), DATA_DIR: dataDir, PORT: String(apiPort), AUTH_JWT_SECRET: SECRET });
  return { env, url: `http://127.0.0.1:${apiPort}`, temporalPort, dataDir };
}

/** The running dev servers on this data directory's SQLite file. */
const devServers = (dataDir: string) => pidsMatching((cmdline) => cmdline.includes('start-dev') && cmdline.includes(dataDir));

const running = (pid: number) => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').startsWith('Z');
  } catch {
    return false;
  }
};

test('after a kill -9 of the service, a new start ends the leftover dev server and serves within 60 s', async () => {
  const { env, url, dataDir } = await embeddedEnv();
  const first = new ServiceProcess(env, url);
  const second = new ServiceProcess(env, url);
  const http = httpClient(url);
  const ops = signToken({ sub: 'ops', role: 'ops', org: '*' }, SECRET);
  const orgId = uniqueOrgId('crash');
  let firstKilled = false; // ChildService.kill() waits for an exit that a killed child has had already
  try {
    await first.start();
    expect((await http.post('/v1/orgs', ops, { id: orgId, name: 'Crash' })).status).toBe(201);
    const [leftover] = devServers(dataDir);
    expect(leftover).toBeDefined();

    await first.kill();
    firstKilled = true;
    expect(running(leftover)).toBe(true); // the orphan the next start has to deal with

    const restarted = Date.now();
    await second.start();
    expect(Date.now() - restarted).toBeLessThan(60_000);
    expect(running(leftover)).toBe(false);
    const [own] = devServers(dataDir);
    expect(devServers(dataDir)).toEqual([own]);
    expect(own).not.toBe(leftover);
    expect((await http.get(`/v1/orgs/${orgId}`, ops)).status).toBe(200);

    // Its own dev server dying leaves the service nothing to serve with: it exits.
    process.kill(own, 'SIGKILL');
    await eventually(() => !running(second.pid!), 15_000, 200);
    expect(readFileSync(second.logFile, 'utf8')).toContain('the embedded Temporal dev server exited');
  } finally {
    if (!firstKilled) await first.kill();
    await second.kill();
    for (const pid of devServers(dataDir)) process.kill(pid, 'SIGKILL');
  }
}, 240_000);

test('a start whose dev server port is taken says so and exits non-zero', async () => {
  const { env, temporalPort } = await embeddedEnv();
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(temporalPort, '127.0.0.1', resolve));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'start.ts')], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain(`Port ${temporalPort} (TEMPORAL_DEV_SERVER_PORT) is in use by another process`);
    expect(output).not.toContain('Credits billing is running');
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
}, 90_000);
