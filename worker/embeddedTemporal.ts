// `npm start`'s embedded Temporal dev server, one per data directory. A kill -9 of the service
// leaves its dev server running (the SDK starts it as a plain child process), so its pid is kept in
// <dataDir>/temporal.pid: the next start ends that leftover before starting its own (and waits,
// bounded, for it to let go of its ports), and a port taken by anything else stops the start rather
// than attaching it to a server it does not own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Settings } from '../config/settings';
import { logger } from '../observability/logger';
import { findTemporalCli, installTemporalCli, startDevServer } from './temporalCli';

export interface EmbeddedTemporal {
  address: string;
  uiPort: number;
  /** Exits the process if the dev server dies. Call once the process handles SIGINT and SIGTERM
   * itself (the worker does): the listeners added here would otherwise keep it from exiting. */
  watch(): void;
  stop(): Promise<void>;
}

const WATCH_INTERVAL_MS = 2_000;

interface ProcessInfo {
  pid: number;
  ppid: number;
  args: string;
}

/** Every process with its parent and command line (`ps`, as on Linux and macOS); none without `ps`. */
function processes(): ProcessInfo[] {
  let out: string;
  try {
    out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  return out.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return match ? [{ pid: Number(match[1]), ppid: Number(match[2]), args: match[3] }] : [];
  });
}

const isDevServer = (p: ProcessInfo, dbFilename: string) => p.args.includes('start-dev') && p.args.includes(dbFilename);

/** Whether `pid` is a dev server on this SQLite file. The command line tells a reused pid apart,
 * and a zombie (exited, not yet reaped: its command line is gone) from a running server. */
function devServerRunning(pid: number, dbFilename: string): boolean {
  return processes().some((p) => p.pid === pid && isDevServer(p, dbFilename));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // exited meanwhile
  }
}

async function ended(pid: number, dbFilename: string, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (!devServerRunning(pid, dbFilename)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !devServerRunning(pid, dbFilename);
}

/** Ends the dev server a previous start left behind, if the pid file names one on our SQLite file;
 * answers its pid when there was one. */
async function endLeftover(pidFile: string, dbFilename: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined; // no pid file: the last start stopped cleanly, or there was none
  }
  const running = devServerRunning(pid, dbFilename);
  if (running) {
    logger.warn({ devServerPid: pid }, 'ending the Temporal dev server a previous start left running');
    signal(pid, 'SIGTERM');
    if (!(await ended(pid, dbFilename, 10_000))) {
      signal(pid, 'SIGKILL');
      await ended(pid, dbFilename, 5_000);
    }
  }
  rmSync(pidFile, { force: true });
  return running ? pid : undefined;
}

/** How long a start waits for an ended leftover to let go of its ports. A dying process stops
 * showing as a dev server (its command line goes with its memory) before its last thread has
 * closed its sockets, so its ports may stay taken for a moment after it looks gone. */
const LEFTOVER_PORTS_WAIT_MS = 15_000;

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Waits, bounded, until the ended leftover's ports are free; says so, and gives up with an error
 * that names the leftover, when they stay taken. */
async function leftoverLetGo(pid: number, ports: ReadonlyArray<readonly [number, string]>): Promise<void> {
  const taken = async () => {
    for (const [p, what] of ports) if (!(await portFree(p))) return { port: p, what };
    return undefined;
  };
  let held = await taken();
  if (!held) return;
  logger.warn({ devServerPid: pid, port: held.port }, 'waiting for the ended Temporal dev server to let go of its ports');
  for (const deadline = Date.now() + LEFTOVER_PORTS_WAIT_MS; held && Date.now() < deadline; held = await taken()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (held) {
    throw new Error(
      `Port ${held.port} (${held.what}) is still in use ${LEFTOVER_PORTS_WAIT_MS / 1000} s after ending the Temporal dev server a previous start left running (pid ${pid}): stop whatever holds it, or set TEMPORAL_DEV_SERVER_PORT.`,
    );
  }
}

export async function startEmbeddedTemporal(settings: Settings): Promise<EmbeddedTemporal> {
  const { dataDir, devServerPort: port } = settings.temporal;
  const uiPort = port + 1000;
  mkdirSync(dataDir, { recursive: true });
  const pidFile = path.join(dataDir, 'temporal.pid');
  const dbFilename = path.join(dataDir, 'temporal.sqlite');
  const leftover = await endLeftover(pidFile, dbFilename);
  const ports = [
    [port, 'TEMPORAL_DEV_SERVER_PORT'],
    [uiPort, 'the Temporal UI, TEMPORAL_DEV_SERVER_PORT + 1000'],
  ] as const;
  if (leftover !== undefined) await leftoverLetGo(leftover, ports);
  for (const [p, what] of ports) {
    if (!(await portFree(p))) throw new Error(`Port ${p} (${what}) is in use by another process: stop it, or set TEMPORAL_DEV_SERVER_PORT.`);
  }

  const cliPath = findTemporalCli(settings.temporal.cliPath) ?? installTemporalCli();
  const devServer = await startDevServer({ cliPath, dbFilename, port, ui: true });
  const pid = processes().find((p) => p.ppid === process.pid && isDevServer(p, dbFilename))?.pid;
  if (pid === undefined) logger.warn('the embedded Temporal dev server process was not found: a crash of this process may leave it running');
  else writeFileSync(pidFile, `${pid}\n`);

  let watch: NodeJS.Timeout | undefined;
  return {
    address: devServer.address,
    uiPort,
    watch() {
      if (pid === undefined) return;
      // Without its dev server this process can never serve again: it exits, to be seen and restarted.
      watch = setInterval(() => {
        if (devServerRunning(pid, dbFilename)) return;
        logger.fatal({ devServerPid: pid }, 'the embedded Temporal dev server exited');
        rmSync(pidFile, { force: true });
        process.exit(1);
      }, WATCH_INTERVAL_MS).unref();
      // A shutdown is no crash: Ctrl-C reaches the dev server too, before the worker has drained.
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => clearInterval(watch));
    },
    async stop() {
      clearInterval(watch);
      await devServer.teardown();
      rmSync(pidFile, { force: true });
    },
  };
}
