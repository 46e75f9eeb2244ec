// Where the CPU goes while the bench runs (Linux /proc).
import { readFileSync } from 'node:fs';
import { pidsMatching } from '../support/processes';
import { DATABASE } from './config';
import { round } from './numbers';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 once it has exited. */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0; // exited
  }
}

/** CPU seconds all the machine's cores were busy so far (Linux /proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

/** A PostgreSQL backend serving a client names its database and the client's address in its title. */
const POSTGRES_BACKEND = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|\[[0-9a-f:]+\]\(\d+\)/;

/**
 * Where the CPU goes: average cores each part of the bench's stack used while `work` ran. Only this
 * stack's processes count (other dev servers and databases may share the machine): its Temporal dev
 * server by port, PostgreSQL's backends of the bench database and its shared background processes.
 */
export async function cpuDuring<T>(temporalPort: string, service: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; coresUsed: Record<string, number> }> {
  const groups = (): Record<string, number[]> => ({
    ...Object.fromEntries(Object.entries(service).map(([name, pid]) => [name, [pid]])),
    temporal: pidsMatching((cmdline) => cmdline.includes('start-dev') && cmdline.includes(`--port ${temporalPort} `)),
    postgres: pidsMatching((cmdline, comm) => comm === 'postgres' && (cmdline.includes(` ${DATABASE} `) || !POSTGRES_BACKEND.test(cmdline))),
  });
  const before = Object.fromEntries(Object.entries(groups()).map(([name, pids]) => [name, new Map(pids.map((pid) => [pid, cpuSeconds(pid)]))]));
  const busyBefore = machineBusySeconds();
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const load = process.cpuUsage(loadBefore);
  const coresUsed: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups())) {
    // A process started during the work (a new database connection) counts from zero.
    const used = pids.reduce((total, pid) => total + cpuSeconds(pid) - (before[name].get(pid) ?? 0), 0);
    coresUsed[name] = round(used / seconds, 2);
  }
  coresUsed.loadGenerator = round((load.user + load.system) / 1e6 / seconds, 2);
  // Whatever else ran on the machine meanwhile (the figures are only as good as the machine was quiet).
  const ours = Object.values(coresUsed).reduce((a, b) => a + b, 0);
  coresUsed.otherProcesses = round(Math.max(0, (machineBusySeconds() - busyBefore) / seconds - ours), 2);
  return { result, coresUsed };
}
