// The load generator: concurrent clients posting usage batches, and the figures of its runs.
import { BATCH, CONCURRENCY, RUN, SECONDS, service } from './config';
import { call } from './http';
import { percentile, round, sum, thousands } from './numbers';

/** One run of the load generator against one server. */
export interface IngestRun {
  seconds: number;
  latencies: number[];
  /** Requests by HTTP status; 0 is a request that got no answer. */
  statuses: Record<string, number>;
  acceptedByOrg: Map<string, number>;
  coresUsed: Record<string, number>;
}

/** Concurrent clients posting batches of one-credit events round-robin over `orgIds` for `seconds`. */
export async function ingest(base: string, orgIds: string[], tag: string, seconds = SECONDS): Promise<Omit<IngestRun, 'coresUsed'>> {
  const latencies: number[] = [];
  const acceptedByOrg = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let seq = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const n = seq++;
        const orgId = orgIds[n % orgIds.length];
        const events = Array.from({ length: BATCH }, (_, i) => ({ id: `${tag}-${RUN}-${n}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        const t0 = performance.now();
        const res = await call(base, 'POST', `/v1/orgs/${orgId}/usage`, service, { events }).catch(() => ({ status: 0, body: undefined }));
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 202) acceptedByOrg.set(orgId, (acceptedByOrg.get(orgId) ?? 0) + BATCH);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies, statuses, acceptedByOrg };
}

export interface IngestResult {
  eventsPerSecond: number;
  events: number;
  seconds: number;
  requests: number;
  statuses: Record<string, number>;
  notAccepted: number;
  latencyMs: { p50: number; p99: number };
  coresUsed: Record<string, number>;
}

/** The runs of one server in a phase, as one: events over the time they took, cores weighted by it. */
export function merged(runs: IngestRun[]): IngestResult {
  const seconds = sum(runs.map((r) => r.seconds));
  const latencies = runs.flatMap((r) => r.latencies);
  const statuses: Record<string, number> = {};
  const coresUsed: Record<string, number> = {};
  for (const run of runs) {
    for (const [status, n] of Object.entries(run.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
    for (const [name, cores] of Object.entries(run.coresUsed)) coresUsed[name] = (coresUsed[name] ?? 0) + (cores * run.seconds) / seconds;
  }
  const events = sum(runs.map((r) => sum(r.acceptedByOrg.values())));
  return {
    eventsPerSecond: round(events / seconds),
    events,
    seconds: round(seconds, 2),
    requests: latencies.length,
    statuses,
    notAccepted: latencies.length - (statuses['202'] ?? 0),
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    coresUsed: Object.fromEntries(Object.entries(coresUsed).map(([name, cores]) => [name, round(cores, 2)])),
  };
}

/** Throughput and latency of a phase's runs, as one line. */
export const ingestLine = (r: IngestResult) => `${thousands(r.eventsPerSecond)} events/s (p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms${r.notAccepted ? `, ${r.notAccepted} requests not accepted` : ''})`;
