// Runs `scripts/start.ts` (API + worker in one process) as a child process that a test can SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/paths';
import { eventually } from './stack';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export class ServiceProcess {
  private child: ChildProcess | undefined;
  readonly logFile = path.join(os.tmpdir(), `billing-service-${process.pid}-${Date.now()}.log`);

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'start.ts')], {
      cwd: PROJECT_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    await eventually(async () => {
      if (this.child?.exitCode !== null) throw new Error(`service exited; see ${this.logFile}`);
      const res = await fetch(`${this.url}/readyz`);
      if (res.status !== 200) throw new Error(`not ready: ${res.status}`);
    }, 60_000, 200);
  }

  /** SIGKILL: no shutdown hooks, no draining, as a crash or an OOM kill. */
  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  /** SIGTERM: a graceful shutdown. */
  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
