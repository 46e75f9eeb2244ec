// `npm run bench`: for each layout of the service (by default `npm start`'s single process, then
// the API and the worker as separate processes), starts a fresh stack (PostgreSQL database,
// Temporal dev server, the service, the plain-PostgreSQL peer), drives the service and the peer
// through HTTP with the same load generator, checks exactly-once, and prints the figures side by
// side, throughputs as ratios to the peer measured in the same run. Everything goes to
// bench/results/<time>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { signToken } from '../api/auth';
import { PROJECT_ROOT } from '../config/paths';
import { migrateDatabase } from '../db/migrate';
import type { BillingSummary } from '../domain/summary';
import { findTemporalCli, installTemporalCli, startDevServer } from '../worker/temporalCli';
import { workflowIdFor } from '../workflows/messages';
import { ChildService, cpuSeconds, freePort, pidsMatching, waitUntil } from './harness';

const { values: opts } = parseArgs({
  options: {
    orgs: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    batch: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'memory-orgs': { type: 'string', default: '1000' },
    'allowance-rate': { type: 'string', default: '200' },
    'threshold-samples': { type: 'string', default: '20' },
    phases: { type: 'string', default: 'many,hot,threshold,allowance,memory,simulate' },
    'simulate-entries': { type: 'string', default: '300000' },
    layouts: { type: 'string', default: 'single,split' },
    layout: { type: 'string' }, // one layout: the same as --layouts <it>
    profile: { type: 'boolean', default: false },
  },
});
const ORGS = Number(opts.orgs);
const CONCURRENCY = Number(opts.concurrency);
const BATCH = Number(opts.batch);
const SECONDS = Number(opts.seconds);
const ROUNDS = Math.max(1, Number(opts.rounds));
const WARM_UP_SECONDS = Math.min(1, SECONDS);
const ALLOWANCE_RATE = Number(opts['allowance-rate']);
const MEMORY_ORGS = Number(opts['memory-orgs']);
const THRESHOLD_SAMPLES = Number(opts['threshold-samples']);
const SIMULATE_ENTRIES = Number(opts['simulate-entries']);

const SECRET = 'bench-secret';
const SERVER = process.env.BENCH_POSTGRES_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
// BENCH_DATABASE lets a second bench run beside another without dropping its database.
const DATABASE = process.env.BENCH_DATABASE ?? 'credits_billing_bench';
const RUN = Date.now().toString(36);

const ops = signToken({ sub: 'bench', role: 'ops', org: '*' }, SECRET, 86400);
const service = signToken({ sub: 'bench', role: 'service', org: '*' }, SECRET, 86400);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

async function call(base: string, method: string, route: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function expectOk(promise: Promise<{ status: number; body: any }>): Promise<any> {
  const res = await promise;
  if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `task` on `concurrency` workers over `items`. */
async function inParallel<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

/** CPU seconds all the machine's cores were busy so far (Linux /proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ
}

/** A PostgreSQL backend serving a client names its database and the client's address in its title. */
const POSTGRES_BACKEND = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|\[[0-9a-f:]+\]\(\d+\)/;

/**
 * Where the CPU goes: average cores each part of the bench's stack used while `work` ran. Only this
 * stack's processes count (other dev servers and databases may share the machine): its Temporal dev
 * server by port, PostgreSQL's backends of the bench database and its shared background processes.
 */
async function cpuDuring<T>(temporalPort: string, service: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; coresUsed: Record<string, number> }> {
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

/** One run of the load generator against one server. */
interface IngestRun {
  seconds: number;
  latencies: number[];
  /** Requests by HTTP status; 0 is a request that got no answer. */
  statuses: Record<string, number>;
  acceptedByOrg: Map<string, number>;
  coresUsed: Record<string, number>;
}

/** Concurrent clients posting batches of one-credit events round-robin over `orgIds` for `seconds`. */
async function ingest(base: string, orgIds: string[], tag: string, seconds = SECONDS): Promise<Omit<IngestRun, 'coresUsed'>> {
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

interface IngestResult {
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
function merged(runs: IngestRun[]): IngestResult {
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

/** Sends `count` requests at `rate` per second whatever the answers take (an open loop); latencies from each send. */
async function paced(count: number, rate: number, task: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(task(i));
  }
  await Promise.all(inFlight);
}

const PHASES = ['many', 'hot', 'threshold', 'allowance', 'memory', 'simulate'] as const;
type Phase = (typeof PHASES)[number];
const LAYOUTS = ['single', 'split'] as const;
type Layout = (typeof LAYOUTS)[number];

function chosen<T extends string>(list: string, from: readonly T[], what: string): T[] {
  const picked = list.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = picked.filter((p) => !(from as readonly string[]).includes(p));
  if (unknown.length || !picked.length) throw new Error(`unknown ${what}(s) "${list}"; choose from ${from.join(', ')}`);
  return [...new Set(picked)] as T[];
}

/** Length of each organization's present workflow run (one describe per organization). */
async function historyLengths(temporal: Client, orgIds: string[]): Promise<Map<string, { runId: string; events: number }>> {
  const lengths = new Map<string, { runId: string; events: number }>();
  await inParallel(orgIds, 8, async (id) => {
    const { runId, historyLength } = await temporal.workflow.getHandle(workflowIdFor(id)).describe();
    lengths.set(id, { runId, events: historyLength });
  });
  return lengths;
}

/** Every run of the organization's workflow: how many, and the longest. */
async function runsOf(temporal: Client, orgId: string) {
  const history = { runs: 0, maxEvents: 0, maxBytes: 0 };
  for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    const { historyLength, historySize } = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
    history.runs++;
    history.maxEvents = Math.max(history.maxEvents, historyLength);
    history.maxBytes = Math.max(history.maxBytes, historySize ?? 0);
  }
  return history;
}

interface LayoutFigures {
  layout: Layout;
  peer: Record<string, any>;
  service: Record<string, any>;
  ratios: Record<string, number>;
  checks: { exactlyOnce: boolean; no429: boolean };
}

const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };

/** One layout, on a stack of its own: a fresh database and Temporal dev server, the service and the peer. */
async function measureLayout(layout: Layout, phases: Set<Phase>, profileDir: string | undefined): Promise<LayoutFigures> {
  const started = performance.now();
  console.log(`\n=== Layout "${layout}": ${layout === 'single' ? "npm start's one process (API and worker)" : 'the API and the worker as separate processes'} ===`);
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
  const databaseUrl = `${SERVER}/${DATABASE}`;
  await migrateDatabase(databaseUrl);
  const db = new pg.Pool({ connectionString: databaseUrl });
  await db.query('CREATE TABLE bench_baseline_events (org_id text, id text, credits bigint, PRIMARY KEY (org_id, id))');
  await db.query('CREATE TABLE bench_baseline_balances (org_id text PRIMARY KEY, credits bigint NOT NULL)');

  const devServer = await startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH) ?? installTemporalCli() });
  const temporalPort = devServer.address.split(':').pop()!;
  const [servicePort, peerPort] = [await freePort(), await freePort()];
  const env = { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: devServer.address, AUTH_JWT_SECRET: SECRET, STRIPE_WEBHOOK_SECRET: 'whsec_bench', LOG_LEVEL: 'warn' };
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, layout)}`] : [];
  const split = layout === 'split';
  const serviceEnv = { ...env, PORT: String(servicePort) };
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const app = new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', split ? 'api/main.js' : 'scripts/start.js')], serviceEnv, serviceUrl);
  const worker = split ? new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', 'worker', 'main.js')], serviceEnv, serviceUrl) : undefined;
  const peer = new ChildService([path.join(PROJECT_ROOT, 'dist', 'bench', 'baselineServer.js')], { ...env, PORT: String(peerPort) }, `http://127.0.0.1:${peerPort}`);
  const connection = await Connection.connect({ address: devServer.address });
  const temporal = new Client({ connection });

  try {
    await Promise.all([app.start(), peer.start()]);
    // The worker has no HTTP port to wait for; creating the first organizations (updates) waits for it.
    await worker?.start({ waitUntilReady: false });
    const servicePids: Record<string, number> = worker ? { api: app.pid!, worker: worker.pid! } : { service: app.pid! };
    const peakRss = (): Record<string, number> => (worker ? { api: round(app.peakRssMb()), worker: round(worker.peakRssMb()) } : { service: round(app.peakRssMb()) });

    const created: string[] = [];
    const accepted = new Map<string, number>();
    const addAccepted = (byOrg: Map<string, number>) => byOrg.forEach((n, id) => accepted.set(id, (accepted.get(id) ?? 0) + n));
    let peerAccepted = 0;

    const createOrgs = async (prefix: string, count: number, { planCredits = 1_000_000_000, setup = async (_id: string) => undefined } = {}) => {
      const ids = Array.from({ length: count }, (_, i) => `${prefix}-${RUN}-${i}`);
      const periodEnd = new Date(Date.now() + 30 * 86400_000).toISOString();
      await inParallel(ids, 16, async (id) => {
        await expectOk(call(app.url, 'POST', '/v1/orgs', ops, { id, name: id }));
        created.push(id);
        await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits, currentPeriodEnd: periodEnd }));
        await setup(id);
      });
      return ids;
    };

    /** Runs of the service, counted for exactly-once. */
    const serviceRun = async (orgIds: string[], tag: string, seconds: number): Promise<IngestRun> => {
      const { result, coresUsed } = await cpuDuring(temporalPort, servicePids, () => ingest(app.url, orgIds, tag, seconds));
      addAccepted(result.acceptedByOrg);
      return { ...result, coresUsed };
    };
    const peerRun = async (orgIds: string[], tag: string, seconds: number): Promise<IngestRun> => {
      const { result, coresUsed } = await cpuDuring(temporalPort, { peer: peer.pid! }, () => ingest(peer.url, orgIds, tag, seconds));
      peerAccepted += sum(result.acceptedByOrg.values());
      return { ...result, coresUsed };
    };
    /**
     * The peer and the service under the same load, SECONDS each, in ROUNDS alternating runs
     * (peer, service, then service, peer, ...): load that other programs put on the machine meanwhile
     * falls on both alike.
     */
    const sideBySide = async (peerOrgs: string[], serviceOrgs: string[], tag: string) => {
      const peerRuns: IngestRun[] = [];
      const serviceRuns: IngestRun[] = [];
      const seconds = SECONDS / ROUNDS;
      for (let k = 0; k < ROUNDS; k++) {
        const inOrder = [
          () => peerRun(peerOrgs, `peer-${tag}-${k}`, seconds).then((r) => peerRuns.push(r)),
          () => serviceRun(serviceOrgs, `${tag}-${k}`, seconds).then((r) => serviceRuns.push(r)),
        ];
        if (k % 2 === 1) inOrder.reverse();
        for (const run of inOrder) await run();
      }
      return { peer: merged(peerRuns), service: merged(serviceRuns) };
    };

    const figures: LayoutFigures = { layout, peer: {}, service: {}, ratios: {}, checks: { exactlyOnce: false, no429: true } };
    const { peer: peerFigures, service: serviceFigures, ratios } = figures;
    const cores = (used: Record<string, number>) => Object.entries(used).map(([name, n]) => `${name} ${n}`).join(', ');
    const line = (r: IngestResult) => `${thousands(r.eventsPerSecond)} events/s (p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms${r.notAccepted ? `, ${r.notAccepted} requests not accepted` : ''})`;
    console.log(`Ingestion: ${CONCURRENCY} clients, ${BATCH} message events per request, ${SECONDS} s for each server in ${ROUNDS} alternating round(s)`);

    if (phases.has('many')) {
      const orgs = await createOrgs('many', ORGS);
      // A warm-up of each, not counted: JIT, connections.
      await peerRun(orgs, 'peer-warm', WARM_UP_SECONDS);
      await serviceRun(orgs, 'warm', WARM_UP_SECONDS);

      // No organization here has auto-recharge on: no usage request should reach Temporal.
      const historyBefore = await historyLengths(temporal, orgs);
      const { peer: peerMany, service: many } = await sideBySide(orgs, orgs, 'many');
      const historyAfter = await historyLengths(temporal, orgs);
      let grown = 0;
      let runsChanged = 0;
      for (const [id, after] of historyAfter) {
        const before = historyBefore.get(id)!;
        if (before.runId === after.runId) grown += after.events - before.events;
        else (runsChanged++, (grown += after.events)); // continued as new meanwhile: at least the new run's events
      }
      peerFigures.manyOrgs = peerMany;
      serviceFigures.manyOrgs = many;
      serviceFigures.temporalHistory = {
        orgs: orgs.length,
        eventsBefore: sum([...historyBefore.values()].map((h) => h.events)),
        eventsAfter: sum([...historyAfter.values()].map((h) => h.events)),
        historyEventsAdded: grown,
        runsContinuedAsNew: runsChanged,
        usageEvents: many.events,
        per1000UsageEvents: round((grown / many.events) * 1000, 3),
      };
      ratios.manyOrgsToPeer = round(many.eventsPerSecond / peerMany.eventsPerSecond, 2);
      console.log(`  peer, ${ORGS} orgs:       ${line(peerMany)}\n    cores: ${cores(peerMany.coresUsed)}`);
      console.log(`  service, ${ORGS} orgs:    ${line(many)}: ${ratios.manyOrgsToPeer} x peer\n    cores: ${cores(many.coresUsed)}`);
      console.log(`    Temporal history: ${grown} events added for ${thousands(many.events)} usage events (${serviceFigures.temporalHistory.per1000UsageEvents} per 1,000)`);
    }

    if (phases.has('hot')) {
      const [hotOrg] = await createOrgs('hot', 1);
      const { peer: peerHot, service: hot } = await sideBySide([`peer-hot-${RUN}`], [hotOrg], 'hot');
      const history = await runsOf(temporal, hotOrg);
      const tooMany = hot.statuses['429'] ?? 0;
      figures.checks.no429 = tooMany === 0;
      peerFigures.hotOrg = peerHot;
      serviceFigures.hotOrg = { ...hot, status429: tooMany, history };
      ratios.hotOrgToPeer = round(hot.eventsPerSecond / peerHot.eventsPerSecond, 2);
      console.log(`  peer, one hot org:     ${line(peerHot)}\n    cores: ${cores(peerHot.coresUsed)}`);
      console.log(`  service, one hot org:  ${line(hot)}: ${ratios.hotOrgToPeer} x peer; 429: ${tooMany}\n    cores: ${cores(hot.coresUsed)}`);
      console.log(`    its workflow: ${history.runs} run(s), the longest ${history.maxEvents} events (${round(history.maxBytes / 2 ** 20, 3)} MiB)`);
    }

    if (phases.has('threshold')) {
      console.log(`  threshold crossing to credits visible: ${THRESHOLD_SAMPLES} samples`);
      const thresholdOrgs = await createOrgs('threshold', THRESHOLD_SAMPLES, {
        planCredits: 100,
        setup: async (id) => {
          const owner = signToken({ sub: 'bench', role: 'owner', org: id }, SECRET, 86400);
          await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }));
          await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/auto-recharge`, owner, { enabled: true, thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 5 }));
        },
      });
      const crossings: number[] = [];
      for (const id of thresholdOrgs) {
        // 60 of the 100 plan credits: available 40, below the threshold of 50.
        const events = Array.from({ length: 60 }, (_, i) => ({ id: `cross-${RUN}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        await expectOk(call(app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
        const t0 = performance.now(); // from the 202
        accepted.set(id, (accepted.get(id) ?? 0) + 60);
        await waitUntil(async () => ((await expectOk(call(app.url, 'GET', `/v1/orgs/${id}/billing`, ops))) as BillingSummary).topUpCredits === 500, 30_000, 2);
        crossings.push(performance.now() - t0);
      }
      serviceFigures.thresholdToCreditMs = { p50: round(percentile(crossings, 50)), max: round(Math.max(...crossings)), samples: crossings.length };
      console.log(`    p50 ${serviceFigures.thresholdToCreditMs.p50} ms, max ${serviceFigures.thresholdToCreditMs.max} ms`);
    }

    if (phases.has('allowance')) {
      console.log(`  allowance checks: ${ALLOWANCE_RATE} a second, alone and while usage streams in; then 8 in flight`);
      const orgs = created.filter((id) => id.startsWith('many-')).slice(0, ORGS);
      const checkOrgs = orgs.length ? orgs : await createOrgs('allowance', ORGS);
      const checkAllowance = async (id: string, into: number[]) => {
        const t0 = performance.now();
        await expectOk(call(app.url, 'GET', `/v1/orgs/${id}/agents/bench-agent/allowance`, service));
        into.push(performance.now() - t0);
      };
      // A warm-up round, not counted: the API's first checks open its database connections.
      await inParallel(Array.from({ length: 64 }, (_, i) => checkOrgs[i % checkOrgs.length]), 8, (id) => checkAllowance(id, []));
      // Checks at a steady rate, as agents make them: the latency of a check, not of a queue of them.
      const quiet: number[] = [];
      const quietCount = Math.round(ALLOWANCE_RATE * 5);
      await paced(quietCount, ALLOWANCE_RATE, (i) => checkAllowance(checkOrgs[i % checkOrgs.length], quiet));
      // Agents check before each conversation and report after it: checks meet the usage they follow.
      const underLoad: number[] = [];
      const streaming = ingest(app.url, checkOrgs, 'allowance');
      await paced(Math.round(ALLOWANCE_RATE * (SECONDS - 0.5)), ALLOWANCE_RATE, (i) => checkAllowance(checkOrgs[i % checkOrgs.length], underLoad));
      const during = await streaming;
      addAccepted(during.acceptedByOrg);
      // A closed loop of 8 clients, each sending its next check on the answer: at saturation, latency = 8 / throughput.
      const closed: number[] = [];
      const closedStarted = performance.now();
      await inParallel(Array.from({ length: 1000 }, (_, i) => checkOrgs[i % checkOrgs.length]), 8, (id) => checkAllowance(id, closed));
      const closedPerSecond = round(closed.length / ((performance.now() - closedStarted) / 1000));
      const summary = (l: number[]) => ({ p50: round(percentile(l, 50), 2), p99: round(percentile(l, 99), 2), checks: l.length });
      serviceFigures.allowanceMs = {
        checksPerSecond: ALLOWANCE_RATE,
        quiet: summary(quiet),
        underLoad: { ...summary(underLoad), ingestionEventsPerSecond: round(sum(during.acceptedByOrg.values()) / during.seconds) },
        eightInFlight: { ...summary(closed), checksPerSecond: closedPerSecond },
      };
      const { quiet: q, underLoad: u, eightInFlight: c } = serviceFigures.allowanceMs;
      console.log(`    alone: p50 ${q.p50} ms, p99 ${q.p99} ms`);
      console.log(`    while ${thousands(u.ingestionEventsPerSecond)} events/s stream in: p50 ${u.p50} ms, p99 ${u.p99} ms (${u.checks} checks)`);
      console.log(`    8 in flight: p50 ${c.p50} ms, p99 ${c.p99} ms, ${thousands(closedPerSecond)} checks/s`);
    }

    if (phases.has('memory')) {
      const memoryStarted = performance.now();
      const rssBefore = peakRss();
      const memoryOrgs = await createOrgs('mem', MEMORY_ORGS);
      await inParallel(memoryOrgs, 16, async (id) => {
        const events = Array.from({ length: 10 }, (_, i) => ({ id: `mem-${RUN}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        await expectOk(call(app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
        accepted.set(id, (accepted.get(id) ?? 0) + 10);
      });
      serviceFigures.memory = { activeOrgs: created.length, peakRssMbBefore: rssBefore };
      console.log(`  memory: ${MEMORY_ORGS} more organizations created and active in ${round((performance.now() - memoryStarted) / 1000)} s`);
    }
    if (phases.has('simulate')) {
      // A month of one busy organization: SIMULATE_ENTRIES usage entries (and a recorded recharge every
      // 1,000), written with SQL over the last 30 days, then replayed by POST .../auto-recharge/simulate.
      // Not in `created`: its ledger has no usage_events rows, so the exactly-once check leaves it out.
      const id = `simulate-${RUN}`;
      await expectOk(call(app.url, 'POST', '/v1/orgs', ops, { id, name: id }));
      await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits: 100_000, currentPeriodEnd: new Date(Date.now() + 30 * 86400_000).toISOString() }));
      const insertStarted = performance.now();
      await db.query(
        `INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
         SELECT $1, now() - interval '30 days' + g * (interval '30 days' / $2::int), e.kind, 'top_up', e.credits, e.kind || '-' || g
         FROM generate_series(1, $2::int) g,
              LATERAL (SELECT 'usage' AS kind, -3 AS credits UNION ALL SELECT 'auto_recharge', 5000 WHERE g % 1000 = 0) e
         ORDER BY g, e.kind DESC`,
        [id, SIMULATE_ENTRIES],
      );
      await db.query('ANALYZE ledger_entries');
      const insertSeconds = round((performance.now() - insertStarted) / 1000);
      const owner = signToken({ sub: 'bench', role: 'owner', org: id }, SECRET, 86400);
      const body = { thresholdCredits: 20_000, rechargeCredits: 50_000, maxRechargesPerMonth: 20 };
      const times: number[] = [];
      let answer: any;
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        answer = await expectOk(call(app.url, 'POST', `/v1/orgs/${id}/auto-recharge/simulate`, owner, body));
        times.push(performance.now() - t0);
      }
      const [first, ...warm] = times;
      serviceFigures.simulation = {
        ledgerEntries: SIMULATE_ENTRIES + Math.floor(SIMULATE_ENTRIES / 1000),
        insertSeconds,
        firstMs: round(first),
        p50Ms: round(percentile(warm, 50)),
        maxMs: round(Math.max(...warm)),
        recharges: answer.recharges,
      };
      const f = serviceFigures.simulation;
      console.log(`  policy simulation over ${thousands(f.ledgerEntries)} ledger entries of one organization (written in ${insertSeconds} s): first ${f.firstMs} ms, then p50 ${f.p50Ms} ms, max ${f.maxMs} ms (${f.recharges} recharges)`);
    }

    serviceFigures.peakRssMb = peakRss();
    peerFigures.peakRssMb = round(peer.peakRssMb());
    console.log(`  peak RSS: ${Object.entries(serviceFigures.peakRssMb).map(([n, mb]) => `${n} ${mb} MiB`).join(', ')} with ${created.length} orgs; the peer ${peerFigures.peakRssMb} MiB`);

    // Exactly-once: every event answered 202 is one row of usage_events and one credit debited, no more.
    const { rows } = await db.query<{ org_id: string; events: number; debited: number }>(
      `SELECT o.id AS org_id,
              (SELECT COUNT(*) FROM usage_events u WHERE u.org_id = o.id)::int AS events,
              COALESCE((SELECT -SUM(l.credits) FROM ledger_entries l WHERE l.org_id = o.id AND l.kind = 'usage'), 0)::bigint AS debited
       FROM unnest($1::text[]) AS o(id)`,
      [created],
    );
    const eventsAccepted = sum(accepted.values());
    const eventRows = sum(rows.map((r) => Number(r.events)));
    const creditsDebited = sum(rows.map((r) => Number(r.debited)));
    const mismatches = rows
      .filter((r) => Number(r.events) !== (accepted.get(r.org_id) ?? 0) || Number(r.debited) !== (accepted.get(r.org_id) ?? 0))
      .map((r) => ({ orgId: r.org_id, accepted: accepted.get(r.org_id) ?? 0, rows: Number(r.events), debited: Number(r.debited) }));
    const peerRows = await db.query<{ events: number; debited: number }>(
      `SELECT (SELECT COUNT(*) FROM bench_baseline_events)::int AS events, (SELECT COALESCE(-SUM(credits), 0) FROM bench_baseline_balances)::bigint AS debited`,
    );
    const peerCheck = { eventsAccepted: peerAccepted, eventRows: Number(peerRows.rows[0].events), creditsDebited: Number(peerRows.rows[0].debited) };
    const ok = mismatches.length === 0 && eventsAccepted === eventRows && eventRows === creditsDebited;
    const peerOk = peerCheck.eventsAccepted === peerCheck.eventRows && peerCheck.eventRows === peerCheck.creditsDebited;
    figures.checks.exactlyOnce = ok && peerOk;
    serviceFigures.exactlyOnce = { ok, orgsChecked: created.length, eventsAccepted, eventRows, creditsDebited, mismatches: mismatches.slice(0, 5) };
    peerFigures.exactlyOnce = { ok: peerOk, ...peerCheck };
    const verdict = ok ? 'holds' : '*** FAILED ***';
    console.log(`  exactly-once ${verdict}: ${thousands(eventsAccepted)} events accepted (202), ${thousands(eventRows)} rows in usage_events, ${thousands(creditsDebited)} credits debited; the peer ${peerOk ? 'holds' : '*** FAILED ***'} (${thousands(peerCheck.eventsAccepted)} / ${thousands(peerCheck.eventRows)} / ${thousands(peerCheck.creditsDebited)})`);
    if (!ok || !peerOk) {
      console.error(`\n*** EXACTLY-ONCE FAILED in layout ${layout} ***`);
      console.error(JSON.stringify({ service: serviceFigures.exactlyOnce, peer: peerFigures.exactlyOnce }, null, 2));
    }
    console.log(`  layout "${layout}" measured in ${round((performance.now() - started) / 1000)} s`);
    return figures;
  } finally {
    await connection.close();
    await Promise.all([app.stop(), peer.stop(), worker?.stop()]);
    await devServer.teardown();
    await db.end();
  }
}

type Row = [string, (f: LayoutFigures) => string, string];

/** The figures of every layout side by side, as a Markdown table. */
function table(all: LayoutFigures[]): string {
  const n = (x: number | undefined) => (x === undefined ? '' : thousands(x));
  const lat = (l: { p50: number; p99: number }) => `p50 ${l.p50} ms, p99 ${l.p99} ms`;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const coreList = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ');
  const rows: Row[] = [
    ['peer, 50 organizations'.replace('50', String(ORGS)), (f) => (f.peer.manyOrgs ? `${n(f.peer.manyOrgs.eventsPerSecond)} events/s, ${lat(f.peer.manyOrgs.latencyMs)}` : ''), ''],
    [
      `ingestion, ${ORGS} organizations`,
      (f) => (f.service.manyOrgs ? `${n(f.service.manyOrgs.eventsPerSecond)} events/s: **${f.ratios.manyOrgsToPeer} × peer** (${met(f.ratios.manyOrgsToPeer >= 0.5)}), ${lat(f.service.manyOrgs.latencyMs)}` : ''),
      '≥ 0.5 × peer',
    ],
    ['peer, one hot organization', (f) => (f.peer.hotOrg ? `${n(f.peer.hotOrg.eventsPerSecond)} events/s, ${lat(f.peer.hotOrg.latencyMs)}` : ''), ''],
    [
      'ingestion, one hot organization',
      (f) =>
        f.service.hotOrg
          ? `${n(f.service.hotOrg.eventsPerSecond)} events/s: **${f.ratios.hotOrgToPeer} × peer** (${met(f.ratios.hotOrgToPeer >= 0.5 && f.service.hotOrg.status429 === 0)}), ${lat(f.service.hotOrg.latencyMs)}; 429: ${f.service.hotOrg.status429}, other non-202: ${f.service.hotOrg.notAccepted - f.service.hotOrg.status429}`
          : '',
      '≥ 0.5 × peer, no 429',
    ],
    [
      'its workflow during the hot run',
      (f) => (f.service.hotOrg ? `${f.service.hotOrg.history.runs} run(s), the longest ${f.service.hotOrg.history.maxEvents} events / ${round(f.service.hotOrg.history.maxBytes / 2 ** 20, 3)} MiB` : ''),
      'reported',
    ],
    [
      'threshold crossing → credits visible',
      (f) => (f.service.thresholdToCreditMs ? `p50 ${f.service.thresholdToCreditMs.p50} ms, max ${f.service.thresholdToCreditMs.max} ms (${met(f.service.thresholdToCreditMs.p50 <= 100)})` : ''),
      'p50 ≤ 100 ms',
    ],
    [
      `allowance check, ${ALLOWANCE_RATE} a second`,
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.quiet)} (${met(f.service.allowanceMs.quiet.p99 <= 10)})` : ''),
      'p99 ≤ 10 ms',
    ],
    [
      `allowance check, ${ALLOWANCE_RATE} a second while usage streams in`,
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.underLoad)} with ${n(f.service.allowanceMs.underLoad.ingestionEventsPerSecond)} events/s` : ''),
      'reported',
    ],
    [
      'allowance check, 8 in flight (closed loop)',
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.eightInFlight)}, ${n(f.service.allowanceMs.eightInFlight.checksPerSecond)} checks/s` : ''),
      'reported',
    ],
    [
      'policy simulation, one busy organization\'s month',
      (f) => (f.service.simulation ? `${n(f.service.simulation.ledgerEntries)} entries: p50 ${f.service.simulation.p50Ms} ms, max ${f.service.simulation.maxMs} ms (first ${f.service.simulation.firstMs} ms)` : ''),
      'reported',
    ],
    [
      'Temporal history events per 1,000 usage events (no crossing)',
      (f) => (f.service.temporalHistory ? `${f.service.temporalHistory.per1000UsageEvents} (${f.service.temporalHistory.historyEventsAdded} events for ${n(f.service.temporalHistory.usageEvents)} usage events)` : ''),
      '≈ 0',
    ],
    [
      'exactly-once: accepted = rows = debited',
      (f) => `${n(f.service.exactlyOnce.eventsAccepted)} = ${n(f.service.exactlyOnce.eventRows)} = ${n(f.service.exactlyOnce.creditsDebited)}: ${f.service.exactlyOnce.ok ? 'holds' : '**FAILED**'}`,
      'equal',
    ],
    [
      `cores used, ${ORGS} organizations`,
      (f) => (f.service.manyOrgs ? `${coreList(f.service.manyOrgs.coresUsed)}; the peer's run: ${coreList(f.peer.manyOrgs.coresUsed)}` : ''),
      'reported',
    ],
    [
      'other programs on the machine during ingestion (cores)',
      (f) =>
        [f.peer.manyOrgs && `${ORGS} orgs: peer ${f.peer.manyOrgs.coresUsed.otherProcesses}, service ${f.service.manyOrgs.coresUsed.otherProcesses}`, f.peer.hotOrg && `hot org: peer ${f.peer.hotOrg.coresUsed.otherProcesses}, service ${f.service.hotOrg.coresUsed.otherProcesses}`]
          .filter(Boolean)
          .join('; '),
      'about 0',
    ],
    [
      'peak RSS',
      (f) =>
        `${Object.entries(f.service.peakRssMb as Record<string, number>).map(([k, v]) => `${k} ${n(v)} MiB`).join(', ')}${f.service.memory ? ` with ${n(f.service.memory.activeOrgs)} organizations` : ''}; the peer ${n(f.peer.peakRssMb)} MiB`,
      'reported',
    ],
  ];
  const header = `| measure | ${all.map((f) => `${f.layout} layout`).join(' | ')} | target |`;
  const rule = `|---|${all.map(() => '---|').join('')}---|`;
  const body = rows
    .map(([name, cell, target]) => [name, all.map(cell), target] as const)
    .filter(([, cells]) => cells.some((c) => c))
    .map(([name, cells, target]) => `| ${name} | ${cells.join(' | ')} | ${target} |`);
  return [header, rule, ...body].join('\n');
}

async function main() {
  const phases = new Set(chosen(opts.phases!, PHASES, 'phase'));
  const layouts = chosen(opts.layout ?? opts.layouts!, LAYOUTS, 'layout');
  console.log(`Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const started = performance.now();

  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const profileDir = opts.profile ? path.join(dir, `profile-${stamp}`) : undefined;

  const all: LayoutFigures[] = [];
  for (const layout of layouts) all.push(await measureLayout(layout, phases, profileDir));

  const results = {
    at,
    machine,
    config: { layouts, phases: [...phases], orgs: ORGS, concurrency: CONCURRENCY, batch: BATCH, seconds: SECONDS, rounds: ROUNDS, memoryOrgs: MEMORY_ORGS, thresholdSamples: THRESHOLD_SAMPLES, allowanceRate: ALLOWANCE_RATE, simulateEntries: SIMULATE_ENTRIES },
    durationSeconds: round((performance.now() - started) / 1000),
    layouts: Object.fromEntries(all.map((f) => [f.layout, f])),
    ...(profileDir ? { profileDir: path.relative(PROJECT_ROOT, profileDir) } : {}),
  };
  const file = path.join(dir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nFigures (${machine.cpus} cores, ${machine.cpuModel}; Temporal dev server, PostgreSQL, service, peer and load generator on one machine; ${results.durationSeconds} s)\n`);
  console.log(table(all));
  console.log(`\nWritten to ${path.relative(PROJECT_ROOT, file)}`);
  if (profileDir) console.log(`CPU profiles of the service (open in Chrome DevTools): ${path.relative(PROJECT_ROOT, profileDir)}`);

  const failed = all.filter((f) => !f.checks.exactlyOnce);
  if (failed.length) console.error(`\n*** EXACTLY-ONCE FAILED (${failed.map((f) => f.layout).join(', ')}): events accepted, rows in usage_events and credits debited differ ***`);
  const throttled = all.filter((f) => !f.checks.no429);
  if (throttled.length) console.error(`\n*** 429 ANSWERS to usage (${throttled.map((f) => f.layout).join(', ')}): there must be none ***`);
  if (failed.length || throttled.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
