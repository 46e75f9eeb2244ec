// Dev tooling shared by bench/ and test/ (neither imports the other): child processes, free ports, polling.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/paths';

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

/** Polls until `check` stops throwing (or returning false); fails with the last error after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      lastError = new Error('condition returned false');
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A Node program of this project run as a child process, ready once `url`/readyz answers 200. */
export class ChildService {
  private child: ChildProcess | undefined;
  readonly logFile = path.join(os.tmpdir(), `billing-child-${process.pid}-${Date.now()}.log`);

  constructor(
    private readonly nodeArgs: string[],
    private readonly env: NodeJS.ProcessEnv,
    readonly url: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start({ waitUntilReady = true } = {}): Promise<void> {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, this.nodeArgs, { cwd: PROJECT_ROOT, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    if (!waitUntilReady) return;
    await waitUntil(
      async () => {
        if (this.child?.exitCode !== null) throw new Error(`exited; see ${this.logFile}`);
        const res = await fetch(`${this.url}/readyz`);
        if (res.status !== 200) throw new Error(`not ready: ${res.status}`);
      },
      90_000,
      200,
    );
  }

  /** Peak resident memory of the process so far (Linux VmHWM), in MiB. */
  peakRssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
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
    // A child killed by a signal has no exit code, only a signal code.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/** Processes for which `match` holds, given their command line and name (Linux /proc). */
export function pidsMatching(match: (cmdline: string, comm: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        return match(cmdline, comm);
      } catch {
        return false; // gone meanwhile
      }
    });
}
