// `npm start` without TEMPORAL_ADDRESS after a crash: a kill -9 of the service leaves its embedded
// Temporal dev server running; the next start ends that leftover and serves within 60 s, waiting
// (bounded) for the ended leftover to let go of its ports. A start whose port is taken says so and
// exits non-zero; a service whose dev server dies exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** `npm start` run to its exit, with its exit code and everything it wrote. */
async function startUntilExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'start.ts')], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, output };
}

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
    const { code, output } = await startUntilExit(env);
    expect(code).not.toBe(0);
    expect(output).toContain(`Port ${temporalPort} (TEMPORAL_DEV_SERVER_PORT) is in use by another process`);
    expect(output).not.toContain('Credits billing is running');
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
}, 90_000);

/** A stand-in for a leftover dev server on this data directory: it shows as one (`start-dev` and the
 * SQLite file on its command line) and holds the dev server port. On SIGTERM it stops showing as
 * one at once, as a dying process does when its memory goes, but holds the port `holdMs` longer
 * (forever when negative), as its last thread may; the start's pid file names it. */
async function leftoverHoldingPort(dataDir: string, port: number, holdMs: number): Promise<ChildProcess> {
  const script = `
    const server = require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'));
    process.on('SIGTERM', () => {
      process.title = 'exiting';
      if (${holdMs} >= 0) setTimeout(() => process.exit(0), ${holdMs});
    });`;
  const leftover = spawn(process.execPath, ['-e', script, 'server', 'start-dev', '--db-filename', path.join(dataDir, 'temporal.sqlite')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(leftover.stdout!, 'data');
  writeFileSync(path.join(dataDir, 'temporal.pid'), `${leftover.pid}\n`);
  return leftover;
}

test('a start waits for the leftover it ended to let go of the dev server port, then serves', async () => {
  const { env, url, dataDir, temporalPort } = await embeddedEnv();
  const leftover = await leftoverHoldingPort(dataDir, temporalPort, 2_000);
  const service = new ServiceProcess(env, url);
  try {
    await service.start();
    const log = readFileSync(service.logFile, 'utf8');
    expect(log).toContain('ending the Temporal dev server a previous start left running');
    expect(log).toContain('waiting for the ended Temporal dev server to let go of its ports');
    expect(leftover.exitCode).toBe(0);
    expect((await httpClient(url).get('/readyz')).status).toBe(200);
  } finally {
    await service.kill();
    leftover.kill('SIGKILL');
    for (const pid of devServers(dataDir)) process.kill(pid, 'SIGKILL');
  }
}, 120_000);

test('a start whose ended leftover never lets go of the port says so after a bounded wait and exits non-zero', async () => {
  const { env, dataDir, temporalPort } = await embeddedEnv();
  const leftover = await leftoverHoldingPort(dataDir, temporalPort, -1);
  try {
    const { code, output } = await startUntilExit(env);
    expect(code).not.toBe(0);
    expect(output).toContain(`Port ${temporalPort} (TEMPORAL_DEV_SERVER_PORT) is still in use 15 s after ending the Temporal dev server a previous start left running (pid ${leftover.pid})`);
    expect(output).not.toContain('Credits billing is running');
  } finally {
    leftover.kill('SIGKILL');
  }
}, 90_000);
